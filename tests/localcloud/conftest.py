"""The Cloudflare emulator as a child process on loopback, started per test module, always
stopped; and the plugin's provider configured against it."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.localcloud.harness import (
    ACCOUNT_ID,
    OTHER_ACCOUNT_ID,
    REPO,
    STORE_ID,
    ZONE_ID,
    ZONE_NAME,
    Emulator,
    ProviderHarness,
)

START_TIMEOUT_SECONDS = 20.0


def _seed() -> dict:
    return {
        "accounts": [
            {
                "id": ACCOUNT_ID,
                "secrets_stores": [STORE_ID],
                "zones": [{"id": ZONE_ID, "name": ZONE_NAME}],
            },
            {"id": OTHER_ACCOUNT_ID},
        ]
    }


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _wait_listening(proc: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("listening on http://127.0.0.1:"):
                return line.removeprefix("listening on ")
        if proc.poll() is not None:
            raise RuntimeError(f"emulator exited early:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)
    raise RuntimeError(f"emulator did not listen within {START_TIMEOUT_SECONDS} s")


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    workdir = tmp_path_factory.mktemp("cloudflare-emulator")
    token = secrets.token_urlsafe(40)[:48]
    (workdir / "seed.json").write_text(json.dumps(_seed()))
    (workdir / "token").write_text(token)
    log = workdir / "emulator.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tools.localcloud.cloudflare.api", "--port", "0",
             "--seed", str(workdir / "seed.json"), "--token-file", str(workdir / "token")],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    try:
        yield Emulator(url=_wait_listening(proc, log), token=token, log=log)
    finally:
        _stop(proc)


@pytest.fixture
def provider(emulator: Emulator, tmp_path: Path) -> ProviderHarness:
    """The provider, configured for the emulator, with `tmp_path` as its working directory."""
    return ProviderHarness.configured(emulator, tmp_path)
