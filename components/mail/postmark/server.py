"""Postmark server: dynamic provider and resource.

Field semantics: an optional setting left as None is not managed (Postmark keeps its value and no
diff is reported for it); ``smtp_api_activated`` is always sent because Postmark reportedly
defaults it to false on create. ``delivery_type`` cannot change after creation, so a change
replaces the server (deleting first when the name stays the same, as names are unique).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from components.mail.postmark.client import PostmarkClient
from components.mail.postmark.errors import PostmarkError
from components.mail.postmark.inventory import iter_server_objects
from components.mail.postmark.provider_base import (
    Failures,
    PostmarkProvider,
    as_bool,
    as_folded_text,
    as_int,
    as_is,
    as_text,
    canonical_choice,
    diff_inputs,
    fetch_listed,
    is_known,
    whole_number,
)

COLORS = ("Purple", "Blue", "Turquoise", "Green", "Red", "Yellow", "Grey", "Orange")
DELIVERY_TYPES = ("Live", "Sandbox")
TRACK_LINKS = ("None", "HtmlAndText", "HtmlOnly", "TextOnly")
HOOK_URL_PROPS = (
    "bounce_hook_url",
    "open_hook_url",
    "delivery_hook_url",
    "click_hook_url",
    "inbound_hook_url",
)

# Input property -> Postmark field, for the fields sent on both create and edit.
_EDITABLE_FIELDS: dict[str, str] = {
    "name": "Name",
    "color": "Color",
    "smtp_api_activated": "SmtpApiActivated",
    "raw_email_enabled": "RawEmailEnabled",
    "track_opens": "TrackOpens",
    "track_links": "TrackLinks",
    "post_first_open_only": "PostFirstOpenOnly",
    "include_bounce_content_in_hook": "IncludeBounceContentInHook",
    "enable_smtp_api_error_hooks": "EnableSmtpApiErrorHooks",
    "bounce_hook_url": "BounceHookUrl",
    "open_hook_url": "OpenHookUrl",
    "delivery_hook_url": "DeliveryHookUrl",
    "click_hook_url": "ClickHookUrl",
    "inbound_hook_url": "InboundHookUrl",
    "inbound_domain": "InboundDomain",
    "inbound_spam_threshold": "InboundSpamThreshold",
}

_NORMALIZERS = {
    "name": as_is,
    "delivery_type": as_is,
    "color": as_folded_text,  # Postmark answers "red" for "Red"
    "smtp_api_activated": as_bool,
    "raw_email_enabled": as_bool,
    "track_opens": as_bool,
    "track_links": as_text,
    "post_first_open_only": as_bool,
    "include_bounce_content_in_hook": as_bool,
    "enable_smtp_api_error_hooks": as_bool,
    "inbound_domain": as_folded_text,
    "inbound_spam_threshold": as_int,
    **{prop: as_text for prop in HOOK_URL_PROPS},
}
_ALWAYS_MANAGED = frozenset({"name", "delivery_type", "smtp_api_activated"})
_REPLACE_ON = frozenset({"delivery_type"})

OUTPUT_PROPS = ("server_id", "api_tokens", "inbound_hash", "server_link", "inbound_address")
# inbound_address is "<inbound_hash>@inbound.postmarkapp.com": as secret as the hash.
SECRET_OUTPUTS = ["api_tokens", "inbound_hash", "inbound_address"]


@dataclass(frozen=True)
class PostmarkServerArgs:
    """Inputs of a Postmark server. Optional settings left as None are not managed."""

    name: pulumi.Input[str]
    """Server name, unique in the Postmark account. Renaming updates the server in place."""
    delivery_type: pulumi.Input[str] = "Live"
    """"Live" or "Sandbox". Cannot change after creation: a change replaces the server."""
    color: pulumi.Input[str] | None = None
    """Purple, Blue, Turquoise, Green, Red, Yellow, Grey or Orange (compared case-insensitively)."""
    smtp_api_activated: pulumi.Input[bool] = True
    """Whether SMTP sending is enabled. Always sent: Postmark reportedly defaults it to false."""
    track_opens: pulumi.Input[bool] | None = None
    """Track email opens by default."""
    track_links: pulumi.Input[str] | None = None
    """Link tracking: "None", "HtmlAndText", "HtmlOnly" or "TextOnly"."""
    bounce_hook_url: pulumi.Input[str] | None = None
    """Legacy per-server bounce webhook URL ("" clears it). Prefer PostmarkWebhook."""
    open_hook_url: pulumi.Input[str] | None = None
    """Legacy per-server open webhook URL ("" clears it). Prefer PostmarkWebhook."""
    delivery_hook_url: pulumi.Input[str] | None = None
    """Legacy per-server delivery webhook URL ("" clears it). Prefer PostmarkWebhook."""
    click_hook_url: pulumi.Input[str] | None = None
    """Legacy per-server click webhook URL ("" clears it). Prefer PostmarkWebhook."""
    inbound_hook_url: pulumi.Input[str] | None = None
    """URL Postmark POSTs inbound messages to ("" clears it)."""
    inbound_domain: pulumi.Input[str] | None = None
    """Inbound domain; needs an MX record to inbound.postmarkapp.com and must be unique across
    Postmark."""
    inbound_spam_threshold: pulumi.Input[int] | None = None
    """Inbound spam score threshold: 0..30 in steps of 5 (0 disables filtering)."""
    raw_email_enabled: pulumi.Input[bool] | None = None
    """Include the raw MIME message in inbound webhook payloads."""
    post_first_open_only: pulumi.Input[bool] | None = None
    """Legacy open hook: only post the first open of each message."""
    include_bounce_content_in_hook: pulumi.Input[bool] | None = None
    """Legacy bounce hook: include the bounced message content."""
    enable_smtp_api_error_hooks: pulumi.Input[bool] | None = None
    """Legacy bounce hook: also post SMTP API errors."""
    adopt: bool = False
    """Take over an existing server with exactly this name instead of failing with ErrorCode 603.
    Only consulted on create. Without it, a server that existed before the create is never taken
    over, not even after a timeout; only one our own lost attempt made is picked up."""

    def to_props(self) -> dict[str, Any]:
        props: dict[str, Any] = {key: getattr(self, key) for key in _NORMALIZERS}
        props["adopt"] = self.adopt
        return props


def _create_body(props: dict[str, Any]) -> dict[str, Any]:
    body = _edit_body(props)
    body["DeliveryType"] = props.get("delivery_type") or "Live"
    return body


def _edit_body(props: dict[str, Any]) -> dict[str, Any]:
    body = {
        api: props[prop] for prop, api in _EDITABLE_FIELDS.items() if props.get(prop) is not None
    }
    body["SmtpApiActivated"] = bool(props.get("smtp_api_activated", True))
    return body


def _outputs(server: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """Every managed field as Postmark reports it now (so drift shows), plus the outputs."""
    outs: dict[str, Any] = {prop: server.get(api) for prop, api in _EDITABLE_FIELDS.items()}
    outs["delivery_type"] = server.get("DeliveryType")
    outs["adopt"] = bool(props.get("adopt", False))
    outs["server_id"] = str(server["ID"])
    outs["api_tokens"] = [str(t) for t in server.get("ApiTokens") or []]
    outs["inbound_hash"] = server.get("InboundHash") or ""
    outs["server_link"] = server.get("ServerLink") or ""
    outs["inbound_address"] = server.get("InboundAddress") or ""
    return outs


def _where(props: dict[str, Any]) -> str:
    return f"Postmark server {props.get('name')!r}"


class ServerProvider(PostmarkProvider):
    """CRUD for Postmark servers over the account API (POSTMARK_ACCOUNT_TOKEN)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = dict(news)
        failures = Failures()
        failures.require_text(inputs, "name")
        defaults = (("delivery_type", "Live"), ("smtp_api_activated", True), ("adopt", False))
        for prop, default in defaults:
            if inputs.get(prop) is None:
                inputs[prop] = default
        for prop, choices in (
            ("delivery_type", DELIVERY_TYPES),
            ("color", COLORS),
            ("track_links", TRACK_LINKS),
        ):
            value = inputs.get(prop)
            if value is None or not is_known(value):
                continue
            canonical = canonical_choice(value, choices)
            if canonical is None:
                failures.add(prop, f"{prop} must be one of {', '.join(choices)}; got {value!r}.")
            else:
                inputs[prop] = canonical
        for prop in (
            "smtp_api_activated",
            "raw_email_enabled",
            "track_opens",
            "post_first_open_only",
            "include_bounce_content_in_hook",
            "enable_smtp_api_error_hooks",
            "adopt",
        ):
            failures.require_bool(inputs, prop)
        for prop in HOOK_URL_PROPS:
            url = inputs.get(prop)
            failures.optional_text(inputs, prop)
            if (
                isinstance(url, str)
                and is_known(url)
                and url
                and not url.startswith(("https://", "http://"))
            ):
                failures.add(prop, f"{prop} must be an http(s) URL or empty; got {url!r}.")
        failures.optional_text(inputs, "inbound_domain")
        threshold = inputs.get("inbound_spam_threshold")
        if threshold is not None and is_known(threshold):
            number = whole_number(threshold)
            if number is None or not 0 <= number <= 30 or number % 5:
                failures.add(
                    "inbound_spam_threshold",
                    f"inbound_spam_threshold must be 0..30 in steps of 5; got {threshold!r}.",
                )
            else:
                inputs["inbound_spam_threshold"] = number
        return CheckResult(inputs, failures.items)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = diff_inputs(
            olds,
            news,
            _NORMALIZERS,
            replace_on=_REPLACE_ON,
            unmanaged_when_none=set(_NORMALIZERS) - _ALWAYS_MANAGED,
        )
        # Names are unique per account: a replacement keeping the name must delete first.
        return changes.to_diff_result(delete_before_replace="name" not in changes.changed)

    def create(self, props: dict[str, Any]) -> CreateResult:
        name = props["name"]
        with self._account_client() as client:
            # Looked up before the first POST: only a server absent now can be one our own lost
            # attempt made; one that exists already is adopted only when asked.
            try:
                existing = find_server_by_exact_name(client, name)
            except PostmarkError as err:
                raise err.in_context(f"Creating {_where(props)}") from None
            if existing is not None:
                return self._created(self._adopt(client, props, existing), props)
            try:
                server = client.post(
                    "/servers",
                    json=_create_body(props),
                    recover=lambda: fetch_listed(
                        client, "servers", find_server_by_exact_name(client, name)
                    ),
                )
            except PostmarkError as err:
                if err.error_code != 603:
                    raise err.in_context(f"Creating {_where(props)}") from None
                server = self._adopt_after_name_conflict(client, props, err)
        return self._created(server, props)

    @staticmethod
    def _created(server: dict[str, Any], props: dict[str, Any]) -> CreateResult:
        return CreateResult(str(server["ID"]), _outputs(server, props))

    def _adopt_after_name_conflict(
        self, client: PostmarkClient, props: dict[str, Any], err: PostmarkError
    ) -> dict[str, Any]:
        """Postmark says the name is taken although no server had it a moment ago: a name
        differing in case, or a server created meanwhile by someone else."""
        existing = find_server_by_exact_name(client, props["name"])
        if existing is None:
            raise PostmarkError(
                f"Creating {_where(props)}: Postmark says the name is taken (ErrorCode 603) but no "
                "server is named exactly that",
                http_status=err.http_status,
                error_code=603,
                guidance="a server name differing only in case or spacing may exist: rename one "
                "of them.",
            ) from None
        return self._adopt(client, props, existing)

    def _adopt(
        self, client: PostmarkClient, props: dict[str, Any], existing: dict[str, Any]
    ) -> dict[str, Any]:
        """Take over a server that exists already, if the user said so (``adopt``)."""
        name = props["name"]
        if not props.get("adopt"):
            raise PostmarkError(
                f"Creating {_where(props)}: the name is already used by Postmark server "
                f"{existing['ID']}",
                error_code=603,
                guidance=f"set adopt=True on this PostmarkServer to manage server {name!r}, or "
                "choose another name.",
            ) from None
        declared_type = props.get("delivery_type") or "Live"
        if existing.get("DeliveryType") and existing["DeliveryType"] != declared_type:
            raise PostmarkError(
                f"Adopting {_where(props)}: it has delivery type {existing['DeliveryType']!r} but "
                f"{declared_type!r} is declared",
                guidance=f"set delivery_type={existing['DeliveryType']!r} (it cannot change after "
                "creation) or choose another name.",
            )
        try:
            return client.put(f"/servers/{existing['ID']}", json=_edit_body(props))
        except PostmarkError as put_err:
            raise put_err.in_context(f"Adopting {_where(props)}") from None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return self._read_account_object(
            f"/servers/{id_}", f"{_where(props)} ({id_})", lambda server: _outputs(server, props)
        )

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with self._account_client() as client:
            try:
                server = client.put(f"/servers/{id_}", json=_edit_body(news))
            except PostmarkError as err:
                raise err.in_context(f"Updating {_where(news)} ({id_})") from None
        return UpdateResult(outs=_outputs(server, news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._delete_account_object(f"/servers/{id_}", f"{_where(props)} ({id_})")


def find_server_by_exact_name(client: PostmarkClient, name: str) -> dict[str, Any] | None:
    """The server named exactly ``name`` (Postmark's name= filter matches substrings)."""
    for server in iter_server_objects(client, name_filter=name):
        if server.get("Name") == name:
            return server
    return None


class PostmarkServer(pulumi.dynamic.Resource, module="postmark", name="Server"):
    """A Postmark server (type token ``pulumi-python:dynamic/postmark:Server``).

    Verified only against the project's local Postmark-compatible fake server.
    """

    name: pulumi.Output[str]
    delivery_type: pulumi.Output[str]
    color: pulumi.Output[str]
    smtp_api_activated: pulumi.Output[bool]
    server_id: pulumi.Output[str]
    """Postmark's server ID (what webhooks and message streams take as server_id)."""
    api_tokens: pulumi.Output[list[str]]
    """Server API tokens (secret)."""
    inbound_hash: pulumi.Output[str]
    """Inbound hash (secret); the inbound address is <hash>@inbound.postmarkapp.com."""
    server_link: pulumi.Output[str]
    """Link to the server in Postmark's UI."""
    inbound_address: pulumi.Output[str]
    """Address that forwards inbound mail to this server (secret: it holds the inbound hash)."""

    def __init__(
        self,
        resource_name: str,
        args: PostmarkServerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {**args.to_props(), **dict.fromkeys(OUTPUT_PROPS)}
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=SECRET_OUTPUTS)
        )
        super().__init__(ServerProvider(), resource_name, props, opts)
