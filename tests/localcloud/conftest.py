"""The Cloudflare emulator as a child process on loopback, started per test module, always
stopped; and the plugin's provider configured against it."""

from __future__ import annotations

import json
import secrets
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
from tools.localcloud.processes import listening_service

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


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    workdir = tmp_path_factory.mktemp("cloudflare-emulator")
    token = secrets.token_urlsafe(40)[:48]
    (workdir / "seed.json").write_text(json.dumps(_seed()))
    (workdir / "token").write_text(token)
    seed, token_file = str(workdir / "seed.json"), str(workdir / "token")
    args = [
        "tools.localcloud.cloudflare.api",
        "--port",
        "0",
        "--seed",
        seed,
        "--token-file",
        token_file,
    ]
    log = workdir / "emulator.log"
    with listening_service(
        "cloudflare-emulator", args, log=log, cwd=REPO, timeout=START_TIMEOUT_SECONDS
    ) as service:
        yield Emulator(url=service.url, token=token, log=log)


@pytest.fixture
def provider(emulator: Emulator, tmp_path: Path) -> ProviderHarness:
    """The provider, configured for the emulator, with `tmp_path` as its working directory."""
    return ProviderHarness.configured(emulator, tmp_path)
