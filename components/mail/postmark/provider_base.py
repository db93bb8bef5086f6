"""What every Postmark dynamic provider shares: clients built per call, input diffing, gone-ness.

Pulumi pickles each provider instance (dill, recurse=True) into the state. A provider therefore
holds only plain, non-secret settings (retry policy and timeouts); tokens are read from the
environment inside each operation and clients live only for the duration of one operation.

The classes are importable, so dill stores them by reference (module path + class name): the
Pulumi provider process imports ``components.mail.postmark`` from the project directory. Keep
these module paths stable (or leave an import shim at the old path): read and delete run the
provider stored in state, and our diff ignores ``__provider``, so state keeps the old path.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pulumi.dynamic import CheckFailure, DiffResult, ReadResult, ResourceProvider
from pulumi.runtime.rpc import UNKNOWN

from components.mail.postmark.client import HttpTimeouts, PostmarkClient, RetryPolicy
from components.mail.postmark.errors import ParentServerGoneError, PostmarkError

PROVIDER_KEY = "__provider"


@dataclass(frozen=True)
class ConnectionSettings:
    """Retry and timeout settings a provider passes to its clients (pickled into state; holds no
    credentials)."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    """Retry bounds and backoff."""
    timeouts: HttpTimeouts = field(default_factory=HttpTimeouts)
    """Per-attempt HTTP timeouts."""


@dataclass
class ServerSession:
    """The two clients a server-scoped operation needs: the account one (to look the server up)
    and one authenticated with that server's own API token."""

    server_id: str
    account: PostmarkClient
    server: PostmarkClient

    def parent_server_is_gone(self) -> bool:
        """Whether the owning server no longer exists (checked with the account token)."""
        try:
            self.account.get(f"/servers/{self.server_id}")
        except PostmarkError as err:
            if err.means_gone:
                return True
            raise
        return False

    def means_gone(self, err: PostmarkError) -> bool:
        """Whether a server-token call failed because its object (or its server) is gone. A 401
        counts only once the parent server is confirmed gone: deleted servers' tokens stop
        working, but so do rotated ones."""
        if err.means_gone:
            return True
        if err.http_status == 401 and err.auth_scope == "server":
            return self.parent_server_is_gone()
        return False


class PostmarkProvider(ResourceProvider):
    """Base class: builds fresh clients per operation from the environment."""

    def __init__(self, connection: ConnectionSettings | None = None) -> None:
        super().__init__()
        self._connection = connection or ConnectionSettings()

    def _account_client(self) -> PostmarkClient:
        return PostmarkClient.for_account(
            retry=self._connection.retry, timeouts=self._connection.timeouts
        )

    def _read_account_object(
        self, path: str, where: str, outputs: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> ReadResult:
        """GET an account-level object (server, domain); gone is reported as gone."""
        with self._account_client() as client:
            try:
                found = client.get(path)
            except PostmarkError as err:
                if err.means_gone:
                    return gone()
                raise err.in_context(f"Reading {where}") from None
        return ReadResult(id_=str(found["ID"]), outs=outputs(found))

    def _delete_account_object(self, path: str, where: str) -> None:
        """DELETE an account-level object; already gone meets the goal of delete."""
        with self._account_client() as client:
            try:
                client.delete(path)
            except PostmarkError as err:
                if not err.means_gone:
                    raise err.in_context(f"Deleting {where}") from None

    @contextmanager
    def _server_session(
        self, server_id: str, also_redact: Collection[str] = ()
    ) -> Iterator[ServerSession]:
        """Clients for a server-token API: fetch the server's token (ApiTokens[0]) with the account
        token, now; raise ParentServerGoneError if the server does not exist. `also_redact`:
        secrets of the request (webhook credentials) to keep out of any error text."""
        with self._account_client() as account:
            token = server_api_token(account, server_id)
            with account.for_server(token, also_redact=tuple(also_redact)) as server:
                yield ServerSession(server_id=server_id, account=account, server=server)


def server_api_token(account: PostmarkClient, server_id: str) -> str:
    try:
        server = account.get(f"/servers/{server_id}")
    except PostmarkError as err:
        if err.means_gone:
            raise ParentServerGoneError(server_id) from None
        raise err.in_context(f"Looking up the API token of Postmark server {server_id}") from None
    tokens = server.get("ApiTokens") or []
    if not tokens:
        raise PostmarkError(
            f"Postmark server {server_id} has no API token",
            guidance="create a server API token in Postmark (Server > API Tokens), then retry.",
        )
    return str(tokens[0])


def fetch_listed(
    client: PostmarkClient, collection: str, listed: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """The full object behind a listing entry (listings may carry fewer fields); None stays
    None. Used by create's ``recover`` look-ups."""
    return None if listed is None else client.get(f"/{collection}/{listed['ID']}")


def gone() -> ReadResult:
    """What read() returns for an object deleted outside Pulumi: `pulumi refresh` drops it."""
    return ReadResult(id_="", outs={})


def contains_unknown(value: Any) -> bool:
    """Whether a (possibly nested) input is not known yet (preview of a not-yet-created value)."""
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


def is_known(value: Any) -> bool:
    return not contains_unknown(value)


@dataclass(frozen=True)
class InputChanges:
    changed: list[str]
    replaces: list[str]

    def to_diff_result(self, delete_before_replace: bool = False) -> DiffResult:
        return DiffResult(
            changes=bool(self.changed),
            replaces=self.replaces,
            stables=[],
            delete_before_replace=delete_before_replace if self.replaces else None,
        )


def diff_inputs(
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    normalizers: Mapping[str, Callable[[Any], Any]],
    *,
    replace_on: Collection[str] = (),
    unmanaged_when_none: Collection[str] = (),
) -> InputChanges:
    """Compare declared inputs (news) with the last known state (olds: previous outputs).

    Only keys in ``normalizers`` are compared, so output-only keys and ``__provider`` never cause
    a diff. Keys in ``unmanaged_when_none`` are skipped when the new value is None (Postmark keeps
    whatever it has). Unknown values during preview count as changes.
    """
    changed: list[str] = []
    for key, normalize in normalizers.items():
        new = news.get(key)
        if new is None and key in unmanaged_when_none:
            continue
        if contains_unknown(new) or normalize(olds.get(key)) != normalize(new):
            changed.append(key)
    return InputChanges(changed=changed, replaces=[k for k in changed if k in replace_on])


# -- normalizers used for comparisons ------------------------------------------------------------


def as_text(value: Any) -> str:
    return "" if value is None else str(value)


def as_folded_text(value: Any) -> str:
    return as_text(value).casefold()


def as_bool(value: Any) -> bool:
    return bool(value)


def as_int(value: Any) -> int | None:
    if value is None:
        return None
    return int(value)


def as_is(value: Any) -> Any:
    return value


# -- check() helpers -----------------------------------------------------------------------------


class Failures:
    """Collects CheckFailure entries, each naming the offending property."""

    def __init__(self) -> None:
        self.items: list[CheckFailure] = []

    def add(self, prop: str, reason: str) -> None:
        self.items.append(CheckFailure(prop, reason))

    def require_text(self, props: Mapping[str, Any], prop: str) -> None:
        value = props.get(prop)
        if is_known(value) and (not isinstance(value, str) or not value.strip()):
            self.add(prop, f"{prop} is required and must be a non-empty string.")

    def require_server_id(self, inputs: dict[str, Any]) -> None:
        """A server id given as a number (Pulumi passes floats) becomes its string form."""
        number = whole_number(inputs.get("server_id"))
        if number is not None:
            inputs["server_id"] = str(number)
        else:
            self.require_text(inputs, "server_id")

    def require_bool(self, props: Mapping[str, Any], prop: str) -> None:
        value = props.get(prop)
        if value is not None and is_known(value) and not isinstance(value, bool):
            self.add(prop, f"{prop} must be true or false, got {value!r}.")

    def optional_text(self, props: Mapping[str, Any], prop: str) -> None:
        value = props.get(prop)
        if value is not None and is_known(value) and not isinstance(value, str):
            self.add(prop, f"{prop} must be a string, got {type(value).__name__}.")


def canonical_choice(value: Any, choices: Collection[str]) -> str | None:
    """The canonical spelling of a case-insensitive choice, or None when it is not one."""
    if not isinstance(value, str):
        return None
    for choice in choices:
        if choice.casefold() == value.casefold():
            return choice
    return None


def whole_number(value: Any) -> int | None:
    """An int from an int or integral float (Pulumi passes numbers as floats); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
