"""Run the plan CLI as a user does, and see which processes it leaves behind."""

from __future__ import annotations

import copy
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from plan.twin.config import TWIN_DIR
from tests.support.project import REPO, bundle_file, copy_bundles, platform_of, write_project

TAG = "EDGE_TWIN_TEST_TAG"
READY_LINE = "Ctrl-C stops the twin."
LISTING = re.compile(r"^  (\S+)\s+(http://127\.0\.0\.1:\d+)\s")


def require_twin() -> None:
    """Node and the twin's npm packages, installed by `make twin` (a prerequisite of `make
    test`). Missing, the test fails under CI and is skipped elsewhere, saying what to run."""
    missing = []
    if shutil.which("node") is None:
        missing.append("node is not on PATH")
    if not (TWIN_DIR / "node_modules" / "miniflare" / "package.json").is_file():
        missing.append("the twin's npm packages are not installed")
    if missing:
        message = "; ".join(missing) + ": run `make twin`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def tagged_processes(tag: str) -> list[tuple[int, str]]:
    """(pid, command name) of every live process whose environment carries `tag`."""
    marker = f"{TAG}={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append((int(entry.name), (entry / "comm").read_text().strip()))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def plan_env(tag: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, TAG: tag, **(extra or {})}


def run_plan(*args: str, env: dict[str, str] | None = None, timeout: float = 180):
    """`python -m plan ARGS` to completion; the CompletedProcess, with the tag it ran under."""
    tag = uuid.uuid4().hex
    result = subprocess.run(
        [sys.executable, "-m", "plan", *args],
        cwd=REPO,
        env=plan_env(tag, env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    result.tag = tag
    return result


class DevTwin:
    """`python -m plan dev ...` in the background, its output collected line by line."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None):
        self.tag = uuid.uuid4().hex
        self.process = subprocess.Popen(
            [sys.executable, "-m", "plan", *args],
            cwd=REPO,
            env=plan_env(self.tag, env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.errors: list[str] = []
        self._ready = threading.Event()
        self._readers = [
            threading.Thread(
                target=self._read, args=(self.process.stdout, self.lines), daemon=True
            ),
            threading.Thread(
                target=self._read, args=(self.process.stderr, self.errors), daemon=True
            ),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, pipe, into: list[str]) -> None:
        for line in pipe:
            into.append(line.rstrip("\n"))
            if line.rstrip("\n") == READY_LINE:
                self._ready.set()
        self._ready.set()  # ended: wait_ready reports it

    @property
    def output(self) -> str:
        return "\n".join(self.lines + self.errors)

    def wait_ready(self, timeout: float = 90) -> None:
        if not self._ready.wait(timeout) or READY_LINE not in self.lines:
            self.stop()
            raise AssertionError(f"the twin did not start:\n{self.output}")

    @property
    def urls(self) -> dict[str, str]:
        return {m[1]: m[2] for line in self.lines if (m := LISTING.match(line))}

    def url(self, script: str) -> str:
        return self.urls[script]

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.wait(timeout=10)
        for reader in self._readers:
            reader.join(timeout=10)
        return code


def wait_until(probe: Callable[[], Any], *, timeout: float = 90, what: str = "condition") -> Any:
    """Poll `probe` until it returns something truthy; that value. The bound is generous: on a
    loaded 2-core CI machine workerd batches and retries run late, not wrong."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def get_json(url: str) -> Any:
    response = httpx.get(url, timeout=10)
    response.raise_for_status()
    return response.json()


def post_json(url: str, body: Any) -> httpx.Response:
    return httpx.post(url, json=body, timeout=30)


def scratch_project(
    root: Path, edit: Callable[[dict[str, Any]], None] | None = None, stack: str = "staging"
) -> Path:
    """A copy of the repository's stack `stack` in `root`, with copies of its bundles at the same
    paths, edited by `edit(platform)`."""
    platform = copy.deepcopy(platform_of(stack))
    copy_bundles(root, platform)
    if edit is not None:
        edit(platform)
    return write_project(root, stack, platform, bundles=False)


def set_bundle(project: Path, worker: dict[str, Any], source: str, file: str | None = None):
    """Make `source` the bundle of `worker` (a stack file's worker) in `project`, at `file` (by
    default where its bundle is), pinned by its SHA-256 when the stack pins bundles."""
    file = file or bundle_file(worker)
    write_bundle(project / file, source)
    pinned = isinstance(platform_of("staging")["workers"]["auth"]["bundle"], dict)
    digest = hashlib.sha256(source.encode()).hexdigest()
    worker["bundle"] = {"path": file, "sha256": digest} if pinned else file


def write_bundle(path: Path, source: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return str(path)
