"""Post-deploy smoke checks: each worker's `smoke:` checks run over HTTP against its base URL.

A check is retried on connection errors, timeouts and 5xx answers (its `retries`, with a short
exponential backoff and jitter); any other answer is final. Nothing of a response is kept but
its status and a short, printable excerpt of its body; headers are never read out.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import httpx
from tenacity import (
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_exponential_jitter,
)

from stacks.schema import SmokeCheckSpec

METHOD = "GET"
MAX_BODY_BYTES = 256 * 1024
"""How much of a body is read to look for `bodyContains`; the rest is never downloaded."""
EXCERPT_CHARS = 60
RETRIED = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
"""Connection errors and timeouts: worth another attempt (a deploy settling, DNS propagating)."""
BACKOFF = {"multiplier": 0.25, "max": 2.0, "jitter": 0.25}
"""Seconds: 0.25, 0.5, 1, 2, 2, ... plus up to 0.25 of jitter; never more than 2.25 a wait."""


@dataclass(frozen=True)
class Outcome:
    worker: str
    check: SmokeCheckSpec
    status: int | None
    """The status of the last answer; None if no answer came."""
    error: str | None
    """Why no answer came (`cannot resolve host 'x'`), or why the answer fails the check."""
    attempts: int
    passed: bool
    target: str = "deployed"
    """What answered: the deployment as it splits traffic, or one version of it pinned by
    Cloudflare's version-override header (`stable`, `candidate`)."""

    @property
    def name(self) -> str:
        pinned = "" if self.target == "deployed" else f" ({self.target})"
        return f"{self.worker}{pinned} {METHOD} {self.check.path}"

    @property
    def expected(self) -> str:
        text = str(self.check.status)
        if self.check.body_contains is not None:
            text += f", body contains {self.check.body_contains!r}"
        return text

    @property
    def got(self) -> str:
        if self.status is None:
            return f"no answer: {self.error}"
        if self.error is not None:
            return f"{self.status}, {self.error}"
        return str(self.status)

    def message(self) -> str:
        """The failure as one line: `auth GET /health: expected 200, got 500`."""
        tries = f" ({self.attempts} attempts)" if self.attempts > 1 else ""
        return f"{self.name}: expected {self.expected}, got {self.got}{tries}"

    def to_json(self) -> dict[str, object]:
        return {
            "worker": self.worker,
            "target": self.target,
            "method": METHOD,
            "path": self.check.path,
            "expected": {"status": self.check.status, "bodyContains": self.check.body_contains},
            "got": {"status": self.status, "error": self.error},
            "attempts": self.attempts,
            "result": "pass" if self.passed else "fail",
        }


@dataclass(frozen=True)
class Target:
    """Where a worker's checks go: its base URL, and the version to pin (None: as deployed)."""

    worker: str
    base_url: str
    role: str = "deployed"
    script_name: str | None = None
    version_id: str | None = None

    def headers(self) -> dict[str, str]:
        """Cloudflare's version override: the request goes to that version of the script (it
        must be in the script's current deployment)."""
        if self.version_id is None:
            return {}
        return {VERSION_OVERRIDE_HEADER: f'{self.script_name}="{self.version_id}"'}


VERSION_OVERRIDE_HEADER = "Cloudflare-Workers-Version-Overrides"


def run_check(client: httpx.Client, target: Target, check: SmokeCheckSpec) -> Outcome:
    worker, url = target.worker, target.base_url.rstrip("/") + check.path
    attempts = 0

    def attempt() -> tuple[int, str]:
        nonlocal attempts
        attempts += 1
        with client.stream(
            METHOD, url, timeout=check.timeout_seconds, headers=target.headers()
        ) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= MAX_BODY_BYTES:
                    break
            return response.status_code, bytes(body[:MAX_BODY_BYTES]).decode(errors="replace")

    retrying = Retrying(
        stop=stop_after_attempt(check.retries + 1),
        wait=wait_exponential_jitter(**BACKOFF),
        retry=retry_if_exception_type(RETRIED) | retry_if_result(lambda answer: answer[0] >= 500),
        retry_error_callback=lambda state: state.outcome.result(),  # the last answer, or raise
    )

    def outcome(status: int | None, error: str | None, passed: bool = False) -> Outcome:
        return Outcome(worker, check, status, error, attempts, passed, target.role)

    try:
        status, body = retrying(attempt)
    except httpx.TimeoutException:
        return outcome(None, f"timed out after {check.timeout_seconds} s")
    except httpx.HTTPError as err:
        return outcome(None, _no_answer(err, url))
    if status != check.status:
        return outcome(status, None)
    if check.body_contains is not None and check.body_contains not in body:
        return outcome(status, f"body without {check.body_contains!r} (starts {excerpt(body)!r})")
    return outcome(status, None, passed=True)


def run_all(
    checks: list[tuple[Target, SmokeCheckSpec]], client: httpx.Client | None = None
) -> list[Outcome]:
    """Run every (target, check) in order."""
    own = client is None
    client = client or httpx.Client(follow_redirects=False, trust_env=False)
    try:
        return [run_check(client, target, check) for target, check in checks]
    finally:
        if own:
            client.close()


def excerpt(body: str) -> str:
    """The start of a body, printable characters only, at most EXCERPT_CHARS."""
    text = "".join(c if c.isprintable() else " " for c in body[: EXCERPT_CHARS * 2])
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _no_answer(err: httpx.HTTPError, url: str) -> str:
    host = httpx.URL(url).host
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve host '{host}'"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused by '{host}'"
        cause = cause.__cause__ or cause.__context__
    if isinstance(err, httpx.ConnectError):
        text = str(err).lower()
        if "name or service not known" in text or "nodename nor servname" in text:
            return f"cannot resolve host '{host}'"
        if "refused" in text:
            return f"connection refused by '{host}'"
        return f"cannot connect to '{host}'"
    return f"request failed ({type(err).__name__})"
