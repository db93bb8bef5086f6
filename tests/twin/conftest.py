"""The twin's tests run the real commands (`python -m plan dev`, `plan check --runtime`) in
subprocesses, with real workerd through the pinned miniflare of tools/twin.

Every process a test starts carries a tag in its environment (workerd inherits it), so that a
test can tell that nothing it started outlives it, even with other tests running alongside.
"""

from __future__ import annotations

import pytest

from tests.twin.harness import DevTwin, require_twin, tagged_processes


@pytest.fixture
def twin_installed() -> None:
    require_twin()


@pytest.fixture
def dev(twin_installed):
    """dev(*args, env=...) starts `python -m plan *args` (a `dev` command) and waits until the
    twin is ready; every twin is stopped at the end, and none may leave a process behind."""
    started: list[DevTwin] = []

    def start(*args: str, env: dict[str, str] | None = None, ready: bool = True) -> DevTwin:
        twin = DevTwin(list(args), env=env)
        started.append(twin)
        if ready:
            twin.wait_ready()
        return twin

    yield start
    for twin in started:
        twin.stop()
    leftovers = [p for twin in started for p in tagged_processes(twin.tag)]
    assert leftovers == [], f"processes left running: {leftovers}"
