"""Start a local service as a child process and wait until it says where it listens.

Every emulator of this package prints one line `listening on http://127.0.0.1:<port>` once it
accepts connections. Its whole output goes to a log file (never a pipe nobody drains), so that a
test can later check the log holds no secret.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


class ServiceError(RuntimeError):
    """A local service did not start; the message names it and quotes the end of its log."""


@dataclass(frozen=True)
class Service:
    name: str
    url: str
    log: Path
    pid: int


@contextmanager
def listening_service(
    name: str,
    module_args: Sequence[str],
    *,
    log: Path,
    cwd: Path,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Iterator[Service]:
    """Run `python -m <module_args>` until the block ends; always stopped, even on errors."""
    log.parent.mkdir(parents=True, exist_ok=True)
    child_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(cwd)}
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own module, fixed argv
            [python, "-m", *module_args],
            cwd=cwd,
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped as one
        )
    try:
        url = _wait_for_url(name, proc, log, timeout)
        yield Service(name=name, url=url, log=log, pid=proc.pid)
    finally:
        stop(proc)


def _wait_for_url(name: str, proc: subprocess.Popen, log: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _LISTENING.search(log.read_text(errors="replace"))
        if found:
            return found.group(1)
        if proc.poll() is not None:
            raise ServiceError(
                f"{name} exited with {proc.returncode} before listening:\n{_tail(log)}"
            )
        time.sleep(0.05)
    raise ServiceError(f"{name} did not listen within {timeout:.0f} s:\n{_tail(log)}")


def stop(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left after `grace` seconds."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace)
    except ProcessLookupError:
        pass


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
