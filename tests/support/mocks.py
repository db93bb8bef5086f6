"""Run a function that declares resources under the SDK mock engine; return what it registered."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

import pulumi

from plan.engine import install_mocks
from plan.manifest import Resource


def register(declare: Callable[[], Any], *, stack: str = "test") -> list[Resource]:
    """Call `declare` inside a mocked Pulumi program and return every registered resource."""
    return contextvars.Context().run(_register, declare, stack)


def _register(declare: Callable[[], Any], stack: str) -> list[Resource]:
    monitor = install_mocks("test", stack)

    @pulumi.runtime.test
    def program():
        declare()

    program()
    return monitor.recorded


def custom(resources: list[Resource], type_suffix: str) -> list[Resource]:
    return [r for r in resources if r.custom and r.type.endswith(type_suffix)]


def one(resources: list[Resource], type_suffix: str) -> Resource:
    found = custom(resources, type_suffix)
    assert len(found) == 1, f"expected one {type_suffix}, got {[r.name for r in found]}"
    return found[0]
