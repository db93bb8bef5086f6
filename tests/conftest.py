"""Shared fixtures: the repository's stacks evaluated once per session under the mock engine."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from plan.engine import evaluate
from plan.manifest import Manifest
from tests.support.project import REPO

_manifests: dict[str, Manifest] = {}


@pytest.fixture(autouse=True)
def event_loop_per_test() -> Iterator[None]:
    """Each test starts with an event loop of its own, closed after it: the SDK's mock engine
    needs a current loop, and one left behind by an earlier test (or taken away by an
    `asyncio.run`) must not decide whether a later test passes."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture
def stack_manifest():
    """stack_manifest("prod") -> the manifest of the repository's prod stack (cached)."""

    def get(stack: str) -> Manifest:
        if stack not in _manifests:
            _manifests[stack] = evaluate(REPO, stack)
        return _manifests[stack]

    return get
