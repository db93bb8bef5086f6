"""Errors raised by the Postmark client and providers.

Every error carries the HTTP status and Postmark's ``ErrorCode`` (when there was a response) and a
sentence telling the user what to do. Logic branches on codes, never on Postmark's message text.
No error text ever contains a token: the client redacts the tokens it holds from anything Postmark
echoes back before building an error.
"""

from __future__ import annotations

from typing import Literal

ACCOUNT_TOKEN_ENV = "POSTMARK_ACCOUNT_TOKEN"  # noqa: S105 (a variable name, not a secret)
API_URL_ENV = "POSTMARK_API_URL"

AuthScope = Literal["account", "server"]

# ErrorCodes that mean "the thing you asked about does not exist" (server, domain, message stream).
NOT_FOUND_CODES = frozenset({601, 510, 1226})

_GUIDANCE_BY_CODE: dict[int, str] = {
    10: f"the Postmark token is missing or wrong: check {ACCOUNT_TOKEN_ENV} holds an account API "
    "token (Postmark > Account > API Tokens).",
    100: "Postmark is in maintenance: retry later (see https://status.postmarkapp.com).",
    402: "Postmark could not parse the request JSON: this is a provider bug, please report it.",
    403: "Postmark rejected a request field: this is a provider bug or an API change, please "
    "report it with the message above.",
    409: "Postmark requires JSON Accept/Content-Type headers: this is a provider bug.",
    429: "Postmark is rate limiting this account: run with lower parallelism "
    "(pulumi up --parallel 2) or retry later; ask Postmark support for a higher limit if needed.",
    505: "a DKIM key rotation is already scheduled for this domain: wait for it to finish.",
    510: "the Postmark domain does not exist (deleted outside Pulumi?): run `pulumi refresh`.",
    511: "no valid domain data was supplied: set the domain name.",
    512: "this domain already exists in the Postmark account: delete it in Postmark or manage the "
    "existing one, then run `pulumi up` again.",
    513: "this Postmark account does not own the domain: check the domain name and the account "
    f"of {ACCOUNT_TOKEN_ENV}.",
    514: "the domain name is required.",
    515: "the domain name is longer than 255 characters.",
    516: "the domain name is not a valid domain: use a name such as mail.example.com.",
    600: "Postmark rejected the query string: this is a provider bug, please report it.",
    601: "the Postmark server does not exist (deleted outside Pulumi?): run `pulumi refresh`.",
    602: "the inbound domain is already used by another Postmark server: choose another "
    "inbound_domain or remove it from the other server.",
    603: "a server with this name already exists in the Postmark account: set adopt=True to manage "
    "it, or choose another name.",
    604: "server deletion through the API is not enabled for this Postmark account: ask Postmark "
    "support to enable it, or delete the server in the Postmark UI and run `pulumi refresh`.",
    605: "Postmark could not delete the server: contact Postmark support.",
    606: "a webhook/hook URL is invalid: use a public http(s) URL (no internal IP ranges).",
    607: "the server color is invalid: use Purple, Blue, Turquoise, Green, Red, Yellow, Grey or "
    "Orange.",
    608: "the server name is missing or invalid: set a non-empty name.",
    609: "no server settings were sent: this is a provider bug, please report it.",
    610: "the inbound domain has no MX record pointing at inbound.postmarkapp.com: publish it "
    "(priority 10), then retry.",
    611: "inbound_spam_threshold must be 0..30 in steps of 5.",
    1224: "the message stream name must be 100 characters or fewer.",
    1225: "the server already has the maximum of 10 message streams: archive one first.",
    1226: "the message stream does not exist (archived or deleted outside Pulumi?): run "
    "`pulumi refresh`.",
    1227: "the message stream id must start with a letter and hold only a-z, 0-9, '-' and '_' "
    "(30 characters at most).",
    1228: "a server can hold only one Inbound message stream (the default 'inbound' one).",
    1229: "default message streams (outbound, inbound, broadcast) cannot be archived.",
    1230: "a message stream with this id already exists on the server (possibly archived; ids stay "
    "reserved until purge): choose another stream_id.",
    1231: "the message stream description must be 1000 characters or fewer.",
    1233: "message stream ids must not start with 'pm-'.",
    1234: "the message stream description must not contain '<' or '>'.",
    1237: "'all' is a reserved message stream id: choose another stream_id.",
    1364: "Postmark could not verify the webhook URL: make the URL answer HTTP 200 to a POST "
    "first, then run `pulumi up` again.",
}

_GUIDANCE_BY_STATUS: dict[int, str] = {
    401: f"the Postmark token is missing or wrong: check {ACCOUNT_TOKEN_ENV} holds an account API "
    "token (Postmark > Account > API Tokens).",
    404: "the Postmark object does not exist (deleted outside Pulumi?): run `pulumi refresh`.",
    415: "Postmark requires JSON Accept/Content-Type headers: this is a provider bug.",
    429: _GUIDANCE_BY_CODE[429],
    500: "Postmark had an internal error: retry later (see https://status.postmarkapp.com).",
    503: "Postmark is unavailable: retry later (see https://status.postmarkapp.com).",
}

# A 404 (or other error) without Postmark's {"ErrorCode", "Message"} body did not come from
# Postmark's API: a wrong base URL, a proxy or a captive portal. Never read as "deleted".
NOT_POSTMARK_GUIDANCE = (
    f"the answer did not come from Postmark's API (no {{ErrorCode, Message}} JSON body): check "
    f"{API_URL_ENV} (default https://api.postmarkapp.com) and any proxy in between. Nothing was "
    "treated as deleted."
)

_SERVER_TOKEN_401 = (
    "Postmark rejected the server API token fetched for this server: the token may have been "
    f"rotated or revoked; check the server in Postmark and that {ACCOUNT_TOKEN_ENV} belongs to "
    "the same account."
)

_FALLBACK_GUIDANCE = (
    "see the ErrorCode table at https://postmarkapp.com/developer/api/overview#error-codes."
)


def guidance_for(
    http_status: int | None,
    error_code: int | None,
    auth_scope: AuthScope | None = None,
    postmark_body: bool = True,
) -> str:
    """The 'what to do' sentence for a Postmark failure, chosen by ErrorCode, then HTTP status."""
    if http_status is not None and not postmark_body and http_status not in (401, 429, 500, 503):
        return NOT_POSTMARK_GUIDANCE
    if http_status == 401 and auth_scope == "server":
        return _SERVER_TOKEN_401
    if error_code is not None and error_code in _GUIDANCE_BY_CODE:
        return _GUIDANCE_BY_CODE[error_code]
    if http_status is not None and http_status in _GUIDANCE_BY_STATUS:
        return _GUIDANCE_BY_STATUS[http_status]
    return _FALLBACK_GUIDANCE


class PostmarkError(Exception):
    """A Postmark operation failed.

    ``http_status`` and ``error_code`` are None when no HTTP response was received (timeouts,
    dropped connections) or the failure is local (missing credentials, validation).
    """

    def __init__(
        self,
        summary: str,
        *,
        http_status: int | None = None,
        error_code: int | None = None,
        postmark_message: str | None = None,
        guidance: str | None = None,
        auth_scope: AuthScope | None = None,
        attempts: int = 1,
        outcome_of_earlier_attempt_unknown: bool = False,
        postmark_body: bool = True,
    ) -> None:
        self.summary = summary
        self.http_status = http_status
        self.error_code = error_code
        self.postmark_message = postmark_message
        self.auth_scope = auth_scope
        self.attempts = attempts
        # True when an earlier attempt of the same call timed out or lost its connection after the
        # request was sent: Postmark may have applied it (used to make creates idempotent).
        self.outcome_of_earlier_attempt_unknown = outcome_of_earlier_attempt_unknown
        # False when an HTTP error came without Postmark's {"ErrorCode", "Message"} JSON body.
        self.postmark_body = postmark_body
        self.guidance = guidance or guidance_for(http_status, error_code, auth_scope, postmark_body)
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [self.summary]
        details = []
        if self.http_status is not None:
            details.append(f"HTTP {self.http_status}")
        if self.error_code is not None:
            details.append(f"ErrorCode {self.error_code}")
        if self.attempts > 1:
            details.append(f"after {self.attempts} attempts")
        if details:
            parts.append(f"({', '.join(details)})")
        if self.postmark_message:
            parts.append(f"Postmark said: {self.postmark_message!r}.")
        parts.append(f"What to do: {self.guidance}")
        return " ".join(parts)

    @property
    def means_gone(self) -> bool:
        """True when Postmark itself says the addressed object does not exist: HTTP 404 or a
        not-found ErrorCode, in Postmark's JSON error body. A 404 without that body (empty, HTML,
        another JSON shape) came from something else (wrong base URL, proxy): not gone."""
        if not self.postmark_body:
            return False
        return self.http_status == 404 or (
            self.error_code is not None and self.error_code in NOT_FOUND_CODES
        )

    def in_context(self, where: str) -> PostmarkError:
        """The same error (same class and fields), prefixed with which resource/operation it
        happened in."""
        return self._clone(summary=f"{where}: {self.summary}")

    def after_attempts(self, attempts: int, *, outcome_unknown: bool) -> PostmarkError:
        """The same error, recording how many attempts the call made."""
        return self._clone(
            attempts=attempts,
            outcome_of_earlier_attempt_unknown=outcome_unknown
            or self.outcome_of_earlier_attempt_unknown,
        )

    def _clone(self, **changes: object) -> PostmarkError:
        clone = self.__class__.__new__(self.__class__)
        clone.__dict__.update(self.__dict__)
        clone.__dict__.update(changes)
        Exception.__init__(clone, clone._render())
        return clone


class MissingCredentialsError(PostmarkError):
    """A required environment variable (the account token) is not set."""

    def __init__(self, variable: str) -> None:
        super().__init__(
            f"{variable} is not set.",
            guidance=f"export {variable} with a Postmark account API token "
            "(Postmark > Account > API Tokens) in the environment that runs pulumi.",
        )


class ParentServerGoneError(PostmarkError):
    """The Postmark server that owns a webhook or message stream no longer exists."""

    def __init__(self, server_id: str) -> None:
        super().__init__(
            f"Postmark server {server_id} does not exist",
            guidance="the server was deleted outside Pulumi: run `pulumi refresh`, or point "
            "server_id at an existing server.",
        )

    @property
    def means_gone(self) -> bool:
        return True
