"""The four Postmark resource types, described once so fault tests can run against each.

Each kind knows how to build its provider and inputs on a fake, the path of its create POST and of
its own object (read and delete), and which live objects carry its natural key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from components.mail.postmark.domain import DomainProvider, PostmarkDomainArgs
from components.mail.postmark.message_stream import (
    MessageStreamProvider,
    PostmarkMessageStreamArgs,
)
from components.mail.postmark.provider_base import ConnectionSettings, PostmarkProvider
from components.mail.postmark.server import PostmarkServerArgs, ServerProvider
from components.mail.postmark.webhook import PostmarkWebhookArgs, Trigger, WebhookProvider
from components.mail.postmark.webhook import WebhookTriggers as Triggers
from tools.localcloud.postmark_server import FakePostmark

SERVER_NAME = "acme-prod-example-faults-mail"
DOMAIN = "mail.faults.example.com"
HOOK_URL = "https://faults.example.com/hooks/postmark"
BEARER = "fake-bearer-faults-5c2e9d"
STREAM = "faults-notices"


@dataclass(frozen=True)
class Kind:
    name: str
    provider: Callable[[ConnectionSettings], PostmarkProvider]
    props: Callable[[FakePostmark], dict[str, Any]]
    """Inputs on this fake (webhooks and streams get a fresh parent server)."""
    create_path: str
    object_path: Callable[[str], str]
    """The object's own path, from its id (what read GETs)."""
    delete: tuple[str, Callable[[str], str]]
    """Method and path of the request that deletes (archives) the object."""
    live_ids: Callable[[FakePostmark, dict[str, Any]], list[str]]
    """Ids of the live objects with this natural key (archived streams excluded)."""


def _parent(fake: FakePostmark) -> str:
    return str(fake.add_server(f"acme-prod-parent-{len(fake.servers)}")["ID"])


def _hook_props(fake: FakePostmark) -> dict[str, Any]:
    args = PostmarkWebhookArgs(
        server_id=_parent(fake), url=HOOK_URL, triggers=Triggers(delivery=Trigger(enabled=True))
    )
    # The engine hands secrets to providers as plain values.
    return {**args.to_props(), "http_headers": {"Authorization": f"Bearer {BEARER}"}}


def _stream_props(fake: FakePostmark) -> dict[str, Any]:
    args = PostmarkMessageStreamArgs(
        server_id=_parent(fake), stream_id=STREAM, stream_type="Broadcasts", name="Notices"
    )
    return args.to_props()


KINDS = [
    Kind(
        "server",
        ServerProvider,
        lambda fake: PostmarkServerArgs(name=SERVER_NAME).to_props(),
        "/servers",
        lambda id_: f"/servers/{id_}",
        ("DELETE", lambda id_: f"/servers/{id_}"),
        lambda fake, props: [str(i) for i, s in fake.servers.items() if s["Name"] == props["name"]],
    ),
    Kind(
        "domain",
        DomainProvider,
        lambda fake: PostmarkDomainArgs(name=DOMAIN, return_path_domain=f"pm.{DOMAIN}").to_props(),
        "/domains",
        lambda id_: f"/domains/{id_}",
        ("DELETE", lambda id_: f"/domains/{id_}"),
        lambda fake, props: [str(i) for i, d in fake.domains.items() if d["Name"] == props["name"]],
    ),
    Kind(
        "webhook",
        WebhookProvider,
        _hook_props,
        "/webhooks",
        lambda id_: f"/webhooks/{id_}",
        ("DELETE", lambda id_: f"/webhooks/{id_}"),
        lambda fake, props: [
            str(i)
            for i, w in fake.webhooks.items()
            if w["ServerID"] == int(props["server_id"]) and w["Url"] == props["url"]
        ],
    ),
    Kind(
        "message stream",
        MessageStreamProvider,
        _stream_props,
        "/message-streams",
        lambda id_: f"/message-streams/{id_}",
        ("POST", lambda id_: f"/message-streams/{id_}/archive"),
        lambda fake, props: [
            sid
            for sid, s in fake.message_streams(props["server_id"]).items()
            if sid == props["stream_id"] and not s["ArchivedAt"]
        ],
    ),
]
KIND_IDS = [k.name for k in KINDS]
