"""How the composition reads a secret from the stack config."""

from __future__ import annotations

from collections.abc import Callable

import pulumi

SecretConfig = Callable[[str], pulumi.Output[str]]
"""Reads a stack config key set with `--secret`, as a Pulumi secret output."""
