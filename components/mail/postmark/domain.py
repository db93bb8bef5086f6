"""Postmark sending domain: dynamic provider and resource.

The DKIM record to publish is the pending one while a key waits for DNS (new domain, rotation),
else the active one; it moves once Postmark verifies it, so it is computed in one place
(:func:`dkim_record_to_publish`). Only ReturnPathDomain can be edited; a new name replaces the
domain.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from components.mail.postmark.client import PostmarkClient
from components.mail.postmark.errors import PostmarkError
from components.mail.postmark.provider_base import (
    Failures,
    PostmarkProvider,
    as_folded_text,
    diff_inputs,
    fetch_listed,
    is_known,
)

_DOMAIN_NAME = re.compile(
    r"^(?=.{1,255}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$", re.IGNORECASE
)
_NORMALIZERS = {"name": as_folded_text, "return_path_domain": as_folded_text}
_DOMAINS_PAGE_SIZE = 500  # documented maximum for GET /domains

OUTPUT_PROPS = (
    "domain_id",
    "dkim_host",
    "dkim_text_value",
    "return_path_cname_value",
    "dkim_verified",
    "return_path_verified",
)


@dataclass(frozen=True)
class PostmarkDomainArgs:
    """Inputs of a Postmark sending domain."""

    name: pulumi.Input[str]
    """The domain, e.g. mail.example.com. Cannot change: a new name replaces the domain."""
    return_path_domain: pulumi.Input[str] | None = None
    """Custom Return-Path domain, a subdomain of ``name`` (conventionally pm-bounces.<name>);
    needs a CNAME to pm.mtasv.net. None leaves Postmark's value alone."""

    def to_props(self) -> dict[str, Any]:
        return {"name": self.name, "return_path_domain": self.return_path_domain}


def dkim_record_to_publish(domain: dict[str, Any]) -> tuple[str, str]:
    """(host, TXT value) to publish: the pending key while one is pending, else the active one."""
    pending_host = domain.get("DKIMPendingHost") or ""
    if pending_host:
        return pending_host, domain.get("DKIMPendingTextValue") or ""
    return domain.get("DKIMHost") or "", domain.get("DKIMTextValue") or ""


def _outputs(domain: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    dkim_host, dkim_value = dkim_record_to_publish(domain)
    return {
        "name": domain.get("Name"),
        "return_path_domain": domain.get("ReturnPathDomain") or "",
        "domain_id": str(domain["ID"]),
        "dkim_host": dkim_host,
        "dkim_text_value": dkim_value,
        "return_path_cname_value": domain.get("ReturnPathDomainCNAMEValue") or "",
        "dkim_verified": bool(domain.get("DKIMVerified")),
        "return_path_verified": bool(domain.get("ReturnPathDomainVerified")),
    }


def _where(props: dict[str, Any]) -> str:
    return f"Postmark domain {props.get('name')!r}"


def iter_domain_objects(client: PostmarkClient) -> Iterator[dict[str, Any]]:
    """Every domain of the account (count/offset pages until TotalCount)."""
    offset = 0
    while True:
        page = client.get("/domains", params={"count": _DOMAINS_PAGE_SIZE, "offset": offset})
        domains = page.get("Domains") or []
        yield from domains
        offset += len(domains)
        if not domains or offset >= int(page.get("TotalCount") or 0):
            return


class DomainProvider(PostmarkProvider):
    """CRUD for Postmark domains over the account API (POSTMARK_ACCOUNT_TOKEN)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = dict(news)
        failures = Failures()
        name = inputs.get("name")
        failures.require_text(inputs, "name")
        if isinstance(name, str) and is_known(name) and name and not _DOMAIN_NAME.match(name):
            failures.add("name", f"name must be a domain such as mail.example.com; got {name!r}.")
        return_path = inputs.get("return_path_domain")
        failures.optional_text(inputs, "return_path_domain")
        if (
            isinstance(return_path, str)
            and isinstance(name, str)
            and is_known(return_path)
            and is_known(name)
            and return_path
            and not return_path.casefold().endswith("." + name.casefold())
        ):
            failures.add(
                "return_path_domain",
                f"return_path_domain must be a subdomain of {name!r} (e.g. pm-bounces.{name}); "
                f"got {return_path!r}.",
            )
        return CheckResult(inputs, failures.items)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = diff_inputs(
            olds,
            news,
            _NORMALIZERS,
            replace_on={"name"},
            unmanaged_when_none={"return_path_domain"},
        )
        return changes.to_diff_result()

    def create(self, props: dict[str, Any]) -> CreateResult:
        name = props["name"]
        body = {"Name": name}
        if props.get("return_path_domain"):
            body["ReturnPathDomain"] = props["return_path_domain"]
        with self._account_client() as client:
            try:
                # Looked up before the first POST: a domain that exists already is never taken
                # over; one that appears after a lost attempt is ours.
                existing = _find_domain(client, name)
                if existing is not None:
                    raise PostmarkError(
                        f"the domain already exists in the account (domain {existing['ID']})",
                        error_code=512,
                    )
                domain = client.post(
                    "/domains",
                    json=body,
                    recover=lambda: fetch_listed(client, "domains", _find_domain(client, name)),
                )
            except PostmarkError as err:
                raise err.in_context(f"Creating {_where(props)}") from None
        return CreateResult(str(domain["ID"]), _outputs(domain, props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return self._read_account_object(
            f"/domains/{id_}", f"{_where(props)} ({id_})", lambda domain: _outputs(domain, props)
        )

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with self._account_client() as client:
            try:
                domain = client.put(
                    f"/domains/{id_}",
                    json={"ReturnPathDomain": news.get("return_path_domain") or ""},
                )
            except PostmarkError as err:
                raise err.in_context(f"Updating {_where(news)} ({id_})") from None
        return UpdateResult(outs=_outputs(domain, news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._delete_account_object(f"/domains/{id_}", f"{_where(props)} ({id_})")


def _find_domain(client: PostmarkClient, name: str) -> dict[str, Any] | None:
    wanted = name.casefold()
    return next(
        (d for d in iter_domain_objects(client) if str(d.get("Name", "")).casefold() == wanted),
        None,
    )


class PostmarkDomain(pulumi.dynamic.Resource, module="postmark", name="Domain"):
    """A Postmark sending domain (type token ``pulumi-python:dynamic/postmark:Domain``).

    Verified only against the project's local Postmark-compatible fake server.
    """

    name: pulumi.Output[str]
    return_path_domain: pulumi.Output[str]
    domain_id: pulumi.Output[str]
    """Postmark's domain ID."""
    dkim_host: pulumi.Output[str]
    """DKIM TXT record name to publish (the pending selector while one is pending)."""
    dkim_text_value: pulumi.Output[str]
    """DKIM TXT record value to publish (``k=rsa; p=...``; may exceed 255 characters)."""
    return_path_cname_value: pulumi.Output[str]
    """Return-Path CNAME target (pm.mtasv.net)."""
    dkim_verified: pulumi.Output[bool]
    return_path_verified: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        args: PostmarkDomainArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {**args.to_props(), **dict.fromkeys(OUTPUT_PROPS)}
        super().__init__(DomainProvider(), resource_name, props, opts)
