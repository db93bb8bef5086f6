"""Fixtures for the Postmark provider tests: a fake Postmark per test and fast retry settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from components.mail.postmark.client import HttpTimeouts, RetryPolicy
from components.mail.postmark.provider_base import ConnectionSettings
from tools.localcloud.postmark_server import FakePostmark, fake_token

# Tiny waits and a short read timeout keep fault tests fast; 4 attempts absorb a 3-fault burst.
FAST_CONNECTION = ConnectionSettings(
    retry=RetryPolicy(
        max_attempts=4,
        max_total_seconds=5.0,
        initial_wait_seconds=0.01,
        max_wait_seconds=0.05,
        jitter_seconds=0.01,
    ),
    timeouts=HttpTimeouts(
        connect_seconds=2.0, read_seconds=0.3, write_seconds=2.0, pool_seconds=2.0
    ),
)
SLOWER_THAN_CLIENT = 2.0  # seconds; well past FAST_CONNECTION's read timeout


@pytest.fixture
def fake_postmark(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePostmark]:
    """A running fake Postmark, with POSTMARK_API_URL and POSTMARK_ACCOUNT_TOKEN pointing at it
    (a fresh, obviously fake account token per test)."""
    with FakePostmark(account_token=fake_token("account")) as fake:
        monkeypatch.setenv("POSTMARK_API_URL", fake.url)
        monkeypatch.setenv("POSTMARK_ACCOUNT_TOKEN", fake.account_token)
        yield fake


@pytest.fixture
def connection() -> ConnectionSettings:
    return FAST_CONNECTION
