"""Shared fixtures: the repository's stacks evaluated once per session under the mock engine."""

from __future__ import annotations

import pytest

from plan.engine import evaluate
from plan.manifest import Manifest
from tests.support.project import REPO

_manifests: dict[str, Manifest] = {}


@pytest.fixture
def stack_manifest():
    """stack_manifest("prod") -> the manifest of the repository's prod stack (cached)."""

    def get(stack: str) -> Manifest:
        if stack not in _manifests:
            _manifests[stack] = evaluate(REPO, stack)
        return _manifests[stack]

    return get
