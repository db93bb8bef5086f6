"""The account's Postmark servers, and which of them no stack declares (orphans).

Used by the drift check: servers named ``{prefix}-...`` that no stack declares are orphans.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from components.mail.postmark.client import PostmarkClient

# postmark.js defaults to 100; a 500 cap is documented for /domains and may apply here too.
DEFAULT_PAGE_SIZE = 100


@dataclass(frozen=True)
class ServerSummary:
    """One Postmark server of the account."""

    id: str
    """Postmark's server ID."""
    name: str
    """The server's name (unique in the account)."""


def iter_server_objects(
    client: PostmarkClient, *, name_filter: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
) -> Iterator[dict[str, Any]]:
    """Every server object of the account, page by page (count/offset) until TotalCount.

    ``name_filter`` is Postmark's ``name=`` query, a substring match: callers that need an exact
    name must compare names themselves.
    """
    offset = 0
    while True:
        params: dict[str, Any] = {"count": page_size, "offset": offset}
        if name_filter is not None:
            params["name"] = name_filter
        page = client.get("/servers", params=params)
        servers = page.get("Servers") or []
        yield from servers
        offset += len(servers)
        total = int(page.get("TotalCount") or 0)
        # An empty page ends the walk even if TotalCount disagrees (never loop forever).
        if not servers or offset >= total:
            return


def list_servers(
    client: PostmarkClient | None = None, *, page_size: int = DEFAULT_PAGE_SIZE
) -> list[ServerSummary]:
    """All servers of the account. Without a client, one is built from POSTMARK_ACCOUNT_TOKEN and
    POSTMARK_API_URL now (and closed afterwards)."""
    if client is None:
        with PostmarkClient.for_account() as own_client:
            return list_servers(own_client, page_size=page_size)
    return [
        ServerSummary(id=str(s["ID"]), name=str(s["Name"]))
        for s in iter_server_objects(client, page_size=page_size)
    ]


def find_orphan_servers(
    servers: Iterable[ServerSummary], prefix: str, declared_names: Collection[str]
) -> list[ServerSummary]:
    """Servers whose name starts with ``{prefix}-`` but that are not in ``declared_names``,
    sorted by name."""
    marker = f"{prefix}-"
    declared = set(declared_names)
    return sorted(
        (s for s in servers if s.name.startswith(marker) and s.name not in declared),
        key=lambda s: (s.name, s.id),
    )
