"""A small HTTP client for Postmark's API: explicit timeouts, bounded retries, typed errors.

One client serves one provider operation and is closed at its end: nothing is shared between the
concurrent operations Pulumi runs on its thread pool, and no client (or token) is ever held on a
provider object that Pulumi pickles into state.

Retries: 429, 500, 503, timeouts and dropped connections are retried with exponential backoff and
jitter, bounded both by a number of attempts and by a total time budget. A numeric or date
``Retry-After`` (whether Postmark sends one is unconfirmed) is waited out, plus jitter, up to
``RetryPolicy.max_retry_after_seconds``. Other 4xx are never retried.

Non-idempotent calls (POST): a 429/5xx answer, a timeout or a dropped connection may hide an
applied request. Such calls take a ``recover`` function that looks the object up by its natural
key before every retry and once more when the retries are spent, so a create is never made twice
and never left outside state.
"""

from __future__ import annotations

import functools
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import httpx
import tenacity

from components.mail.postmark import credentials
from components.mail.postmark.errors import (
    API_URL_ENV,
    NOT_POSTMARK_GUIDANCE,
    AuthScope,
    PostmarkError,
)

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 503})
# Methods whose repetition is harmless: their failures never leave an unknown outcome behind.
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
_TOKEN_HEADERS: dict[AuthScope, str] = {
    "account": "X-Postmark-Account-Token",
    "server": "X-Postmark-Server-Token",
}
_MAX_ECHOED_MESSAGE = 500


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the client retries transient failures. Plain numbers only: it is pickled with the
    provider into Pulumi state."""

    max_attempts: int = 5
    """Attempts per request, the first one included."""
    max_total_seconds: float = 120.0
    """Time budget per request, waits and attempts included; no attempt starts after it (nor a
    wait that would end after it) and each attempt's timeouts are shortened to what is left."""
    initial_wait_seconds: float = 0.5
    """First backoff wait; doubles on each retry."""
    max_wait_seconds: float = 8.0
    """Upper bound of one exponential backoff wait (without a Retry-After header)."""
    jitter_seconds: float = 0.5
    """Random extra wait (0..jitter) added to each wait so parallel operations spread out."""
    max_retry_after_seconds: float = 60.0
    """Upper bound of the wait a Retry-After header asks for (jitter comes on top)."""


@dataclass(frozen=True)
class HttpTimeouts:
    """Per-attempt HTTP timeouts, in seconds."""

    connect_seconds: float = 5.0
    """Time to open the TCP/TLS connection."""
    read_seconds: float = 30.0
    """Time to wait for response data."""
    write_seconds: float = 30.0
    """Time to send the request."""
    pool_seconds: float = 5.0
    """Time to wait for a free connection from the pool."""


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS settings, built once: loading the CA bundle costs tens of ms and a
    fresh client is made per operation. Holds no credentials; safe to share between threads."""
    return httpx.create_ssl_context()


class _NoResponse(Exception):
    """Internal: an attempt ended without an HTTP response (timeout or dropped connection)."""

    def __init__(self, exc: httpx.HTTPError) -> None:
        super().__init__(type(exc).__name__)
        self.kind = type(exc).__name__


class _ErrorResponse(Exception):
    """Internal: an attempt got a non-2xx response."""

    def __init__(self, error: PostmarkError, retry_after: float | None) -> None:
        super().__init__(error.summary)
        self.error = error
        self.retry_after = retry_after


@dataclass
class _CallState:
    """Per-call facts the retry loop accumulates; local to one request() call."""

    outcome_unknown: bool = False
    """Some attempt may have been applied without our knowing."""
    last_attempt_unknown: bool = False
    """The latest attempt may have been applied (a definite refusal after it means it was not)."""

    def mark_unknown(self) -> None:
        self.outcome_unknown = self.last_attempt_unknown = True


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, _NoResponse):
        return True
    return isinstance(exc, _ErrorResponse) and exc.error.http_status in RETRYABLE_STATUSES


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _parse_error_body(response: httpx.Response) -> tuple[int, str] | None:
    """(ErrorCode, Message) of a Postmark error body; None for anything else (empty, HTML, other
    JSON shapes), which did not come from Postmark's API."""
    try:
        body = response.json() if response.content else None
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    code, message = body.get("ErrorCode"), body.get("Message")
    if isinstance(code, bool) or not isinstance(code, int) or not isinstance(message, str):
        return None
    return code, message


class PostmarkClient:
    """Calls Postmark's API with one token. Use as a context manager, one per operation."""

    def __init__(
        self,
        token: str,
        *,
        auth_scope: AuthScope,
        base_url: str,
        retry: RetryPolicy | None = None,
        timeouts: HttpTimeouts | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        also_redact: tuple[str, ...] = (),
    ) -> None:
        self._token = token
        # Every secret this client could see echoed back: its own token and its parent's.
        self._redacted = tuple(t for t in (token, *also_redact) if t)
        self._auth_scope: AuthScope = auth_scope
        self._base_url = base_url
        self._retry = retry or RetryPolicy()
        self._timeouts = timeouts or HttpTimeouts()
        self._sleep = sleep
        self._clock = clock
        self._transport = transport
        self._http = httpx.Client(
            base_url=base_url,
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": "pulumi-postmark-dynamic-provider",
                _TOKEN_HEADERS[auth_scope]: token,
            },
            timeout=self._httpx_timeout(None),
            transport=transport,
            verify=_tls_context(),
            follow_redirects=False,
        )

    @classmethod
    def for_account(
        cls, *, retry: RetryPolicy | None = None, timeouts: HttpTimeouts | None = None
    ) -> PostmarkClient:
        """A client with the account token and base URL read from the environment now."""
        return cls(
            credentials.account_token(),
            auth_scope="account",
            base_url=credentials.api_base_url(),
            retry=retry,
            timeouts=timeouts,
        )

    def for_server(self, server_token: str, also_redact: tuple[str, ...] = ()) -> PostmarkClient:
        """A separate client for server-token APIs, with the same endpoint and policies."""
        return PostmarkClient(
            server_token,
            auth_scope="server",
            base_url=self._base_url,
            retry=self._retry,
            timeouts=self._timeouts,
            sleep=self._sleep,
            clock=self._clock,
            transport=self._transport,
            also_redact=self._redacted + also_redact,
        )

    def __repr__(self) -> str:  # never show the token
        return f"PostmarkClient(base_url={self._base_url!r}, auth_scope={self._auth_scope!r})"

    def __enter__(self) -> PostmarkClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- verbs ---------------------------------------------------------------------------------

    def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(
        self,
        path: str,
        *,
        json: Any = None,
        recover: Callable[[], Any | None] | None = None,
    ) -> Any:
        return self.request("POST", path, json=json, recover=recover)

    def put(self, path: str, *, json: Any = None) -> Any:
        return self.request("PUT", path, json=json)

    def patch(self, path: str, *, json: Any = None) -> Any:
        return self.request("PATCH", path, json=json)

    def delete(self, path: str) -> Any:
        """DELETE, requiring Postmark's receipt ``{"ErrorCode": 0, "Message": ...}``: any other
        success body (an empty 200 from a proxy) does not prove anything was deleted."""
        receipt = self.request("DELETE", path)
        if not isinstance(receipt, dict) or receipt.get("ErrorCode") != 0:
            raise PostmarkError(
                f"Postmark API DELETE {path} was answered without Postmark's removal receipt",
                guidance=NOT_POSTMARK_GUIDANCE,
            )
        return receipt

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        recover: Callable[[], Any | None] | None = None,
    ) -> Any:
        """Send one API call with retries and return the decoded JSON body ({} when empty).

        ``recover`` is for creates: once an attempt may have been applied without us knowing
        (a 429/5xx answer to a POST, a timeout or dropped connection after sending), it is called
        before the next attempt and after the last one, and may return the object the lost
        attempt created (looked up by its natural key), which ends the call.
        """
        state = _CallState()
        deadline = self._clock() + self._retry.max_total_seconds
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self._retry.max_attempts)
            | (lambda rs: self._clock() + rs.upcoming_sleep >= deadline),
            wait=self._wait_seconds,
            retry=tenacity.retry_if_exception(_is_retryable),
            before_sleep=lambda rs: self._log_retry(method, path, rs),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(self._attempt, method, path, params, json, state, deadline, recover)
        except (_ErrorResponse, _NoResponse) as failure:
            attempts = retrying.statistics.get("attempt_number", 1)
            recovered = self._recover_after_last_attempt(state, recover)
            if recovered is not None:
                return recovered
            if isinstance(failure, _ErrorResponse):
                error = failure.error
                if attempts > 1 or state.outcome_unknown:
                    error = error.after_attempts(attempts, outcome_unknown=state.outcome_unknown)
                raise error from None
            raise PostmarkError(
                f"Postmark API {method} {path} got no response ({failure.kind})",
                attempts=attempts,
                guidance="Postmark did not answer in time or dropped the connection: check "
                f"network access to {self._base_url} ({API_URL_ENV}) and "
                "https://status.postmarkapp.com, then run the command again.",
                outcome_of_earlier_attempt_unknown=state.outcome_unknown,
            ) from None

    # -- internals -----------------------------------------------------------------------------

    @staticmethod
    def _recover_after_last_attempt(
        state: _CallState, recover: Callable[[], Any | None] | None
    ) -> Any | None:
        """The object a lost last attempt created, if any; a failing look-up leaves the original
        error to be reported. Earlier attempts were looked for before the attempt after them."""
        if not state.last_attempt_unknown or recover is None:
            return None
        try:
            return recover()
        except PostmarkError:
            return None

    def _attempt(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        state: _CallState,
        deadline: float,
        recover: Callable[[], Any | None] | None,
    ) -> Any:
        if state.outcome_unknown and recover is not None:
            recovered = recover()
            if recovered is not None:
                return recovered
        state.last_attempt_unknown = False
        remaining = max(0.05, deadline - self._clock())
        try:
            response = self._http.request(
                method,
                path,
                params=params,
                json=body,
                timeout=self._httpx_timeout(remaining),
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Never reached Postmark: safe to retry, nothing can have been applied.
            raise _NoResponse(exc) from None
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            # The request may have been received and applied before the answer was lost.
            state.mark_unknown()
            raise _NoResponse(exc) from None
        except httpx.HTTPError as exc:
            raise PostmarkError(
                f"Postmark API {method} {path} could not be sent ({type(exc).__name__})",
                guidance=f"check {API_URL_ENV} is an http(s) URL such as "
                f"{credentials.DEFAULT_API_URL}.",
            ) from None
        if response.is_success:
            return self._decode(response, method, path)
        if response.status_code in RETRYABLE_STATUSES and method not in _IDEMPOTENT_METHODS:
            # Postmark may have applied the request before it answered 429/5xx.
            state.mark_unknown()
        parsed = _parse_error_body(response)
        error = PostmarkError(
            f"Postmark API {method} {path} failed",
            http_status=response.status_code,
            error_code=parsed[0] if parsed else None,
            postmark_message=self._redact(parsed[1]) if parsed else None,
            auth_scope=self._auth_scope,
            outcome_of_earlier_attempt_unknown=state.outcome_unknown,
            postmark_body=parsed is not None,
        )
        raise _ErrorResponse(error, _retry_after_seconds(response))

    def _decode(self, response: httpx.Response, method: str, path: str) -> Any:
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise PostmarkError(
                f"Postmark API {method} {path} returned a body that is not JSON",
                http_status=response.status_code,
                guidance=f"check {API_URL_ENV} points at Postmark's API.",
            ) from None

    def _redact(self, text: str | None) -> str | None:
        if text is None:
            return None
        for secret in self._redacted:
            text = text.replace(secret, "[redacted]")
        return text[:_MAX_ECHOED_MESSAGE]

    def _httpx_timeout(self, remaining: float | None) -> httpx.Timeout:
        def bounded(seconds: float) -> float:
            return seconds if remaining is None else min(seconds, remaining)

        t = self._timeouts
        return httpx.Timeout(
            connect=bounded(t.connect_seconds),
            read=bounded(t.read_seconds),
            write=bounded(t.write_seconds),
            pool=bounded(t.pool_seconds),
        )

    def _wait_seconds(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        failure = outcome.exception() if outcome is not None else None
        if isinstance(failure, _ErrorResponse) and failure.retry_after is not None:
            # Never sooner than asked (up to the bound); jitter spreads parallel operations.
            asked = min(failure.retry_after, self._retry.max_retry_after_seconds)
            return asked + tenacity.wait_random(0, self._retry.jitter_seconds)(retry_state)
        backoff = tenacity.wait_exponential_jitter(
            multiplier=self._retry.initial_wait_seconds,
            max=self._retry.max_wait_seconds,
            jitter=self._retry.jitter_seconds,
        )
        return min(backoff(retry_state), self._retry.max_wait_seconds)

    def _log_retry(self, method: str, path: str, retry_state: tenacity.RetryCallState) -> None:
        outcome = retry_state.outcome
        failure = outcome.exception() if outcome is not None else None
        if isinstance(failure, _ErrorResponse):
            reason = f"HTTP {failure.error.http_status}"
        elif isinstance(failure, _NoResponse):
            reason = failure.kind
        else:
            reason = type(failure).__name__
        upcoming = retry_state.upcoming_sleep
        logger.warning(
            "Postmark %s %s: %s; retrying in %.2fs (attempt %d of %d)",
            method,
            path,
            reason,
            upcoming,
            retry_state.attempt_number + 1,
            self._retry.max_attempts,
        )
