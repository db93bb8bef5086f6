"""Ctrl-C and SIGTERM stop every process of the twin; so does the death of `plan dev` itself."""

from __future__ import annotations

import os
import signal

import pytest

from tests.twin.harness import get_json, tagged_processes, wait_until


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_every_process(dev, sig):
    twin = dev("dev", "staging", "--port", "0")
    running = {name for _, name in tagged_processes(twin.tag)}
    assert {"node", "workerd"} <= running, running  # what must be gone afterwards

    assert twin.stop(sig) == 0
    assert "twin of stack 'staging' stopped" in twin.lines
    assert tagged_processes(twin.tag) == []


def test_the_twin_stops_when_plan_dev_is_killed(dev):
    twin = dev("dev", "staging", "--port", "0")
    assert get_json(f"{twin.url('auth-staging')}/health") == {"ok": True}
    os.kill(
        twin.process.pid, signal.SIGKILL
    )  # no chance to clean up: the runner sees its stdin close
    twin.process.wait(timeout=10)
    wait_until(
        lambda: tagged_processes(twin.tag) == [], timeout=20, what="the runner and workerd to exit"
    )
