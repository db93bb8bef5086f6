"""Drift in the Postmark account: orphan servers, duplicate webhooks, undeclared sending domains.

A server's name is `{prefix}-{env}-{slug}` (stacks.naming.postmark_server_name); what the stacks
declare is gathered from every stack of the repository, so that the staging check never reports
prod's server or domain.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from components.mail.postmark.client import PostmarkClient
from components.mail.postmark.inventory import ServerSummary, find_orphan_servers
from components.mail.postmark.provider_base import server_api_token
from plan.drift.findings import Check, Finding

RULE = "{prefix}-{env}-{slug}"
RULE_EXPLAINED = f"{RULE}, slug = the sending domain's labels reversed, TLD dropped"
ORPHAN_WHAT_TO_DO = (
    "declare the server's sending domain in a stack's `mail` and adopt the server "
    "(docs/runbook.md, section 2), or delete it in Postmark after checking that nothing sends "
    "through it."
)
MISSING_WHAT_TO_DO = (
    "run the deploy workflow (pulumi up) to create it; if it was deleted by hand, "
    "`pulumi refresh` first."
)


@dataclass(frozen=True)
class Declared:
    """What the stacks of the repository declare: server name -> stack, domain -> stack."""

    servers: Mapping[str, str]
    domains: Mapping[str, str]


def orphan_servers(
    servers: list[ServerSummary], prefix: str, declared: Declared, own_server: str
) -> Check:
    marker = f"{prefix}-"
    same_prefix = {n: stack for n, stack in declared.servers.items() if n.startswith(marker)}
    matching = [s for s in servers if s.name.startswith(marker)]
    check = Check(
        "postmark-servers",
        f"Postmark servers named '{marker}...' (rule {RULE_EXPLAINED})",
        f"No orphans: every server named '{marker}...' is declared.",
        details=[
            "Declared by the stacks of this repository:",
            *(f"  - {name} (stack {same_prefix[name]})" for name in sorted(same_prefix)),
            f"Account servers named '{marker}...': {len(matching)} of {len(servers)}.",
        ],
    )
    for server in find_orphan_servers(servers, prefix, set(same_prefix)):
        check.findings.append(
            Finding(
                "orphan-server",
                server.name,
                _rule_match(server.name, prefix),
                ORPHAN_WHAT_TO_DO,
                ids=(server.id,),
                id_label="server id",
            )
        )
    if not any(s.name == own_server for s in servers):
        check.findings.append(
            Finding(
                "missing-server",
                own_server,
                "the stack declares this server but the Postmark account has none by that name",
                MISSING_WHAT_TO_DO,
            )
        )
    return check


def duplicate_webhooks(account: PostmarkClient, server: ServerSummary) -> Check:
    """Webhooks of one server that post to the same URL (what a retried create used to leave)."""
    token = server_api_token(account, server.id)
    with account.for_server(token) as client:
        hooks = client.get("/webhooks").get("Webhooks") or []
    by_url: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for hook in hooks:
        by_url[str(hook.get("Url"))].append(hook)
    check = Check(
        "webhooks",
        f"Webhooks of Postmark server {server.name} (id {server.id})",
        f"No duplicates among its {len(hooks)} webhook(s).",
    )
    for url, same in sorted(by_url.items()):
        if len(same) < 2:
            continue
        streams = sorted({str(h.get("MessageStream") or "outbound") for h in same})
        check.findings.append(
            Finding(
                "duplicate-webhooks",
                server.name,
                f"{len(same)} webhooks post to {display_url(url)} (streams: {', '.join(streams)})",
                "keep the one whose id is the `mail-webhook` resource's webhook_id in state "
                "(`pulumi stack export`), delete the others in Postmark (server > Webhooks).",
                ids=tuple(str(h.get("ID")) for h in same),
                id_label="webhook ids",
            )
        )
    return check


def undeclared_domains(
    domains: Iterable[Mapping[str, Any]], zone: str, declared: Declared
) -> Check:
    """Sending domains inside the stack's hosted zone that no stack declares."""
    check = Check(
        "postmark-domains",
        f"Postmark sending domains in the hosted zone {zone}",
        f"Every sending domain in {zone} is declared.",
    )
    known = {name.casefold() for name in declared.domains}
    for domain in domains:
        name = str(domain.get("Name", "")).casefold().rstrip(".")
        inside = name == zone or name.endswith(f".{zone}")
        if inside and name not in known:
            check.findings.append(
                Finding(
                    "undeclared-domain",
                    name,
                    "a sending domain in the stack's hosted zone that no stack declares",
                    "declare it in a stack's `mail`, or delete it in Postmark (Sender "
                    "signatures > Domains) after checking that nothing sends from it.",
                    ids=(str(domain.get("ID")),),
                    id_label="domain id",
                )
            )
    return check


def missing_domain(name: str) -> Finding:
    """The stack's own sending domain, absent from the Postmark account."""
    return Finding(
        "missing-domain",
        name,
        "the stack declares this sending domain but the Postmark account has no such domain",
        MISSING_WHAT_TO_DO,
    )


def display_url(url: str) -> str:
    """A webhook URL safe to print: user info and query string (possible credentials) hidden."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    if parts.username or parts.password:
        netloc = f"[redacted]@{netloc}"
    query = "[redacted]" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _rule_match(name: str, prefix: str) -> str:
    match = re.fullmatch(rf"{re.escape(prefix)}-(staging|prod)-(.+)", name)
    if match:
        env, slug = match.groups()
        return f"{RULE} with prefix={prefix}, env={env}, slug={slug}"
    return f"prefix '{prefix}-' only; not {RULE} (env is staging or prod)"
