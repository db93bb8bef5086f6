"""Postmark webhook: dynamic provider and resource (server-token API).

The webhook's server is an input (``server_id``); the server's API token is fetched at call time
with the account token, so no token is ever an input or in state. HTTP basic auth and custom
headers (e.g. ``Authorization: Bearer ...``) are secret inputs and secret outputs; changing them
is an in-place update (PUT). ``message_stream`` and ``server_id`` changes replace the webhook
(postmark.js never sends MessageStream on edit, so it is treated as immutable).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from components.mail.postmark.client import PostmarkClient
from components.mail.postmark.errors import ParentServerGoneError, PostmarkError
from components.mail.postmark.provider_base import (
    Failures,
    PostmarkProvider,
    as_text,
    diff_inputs,
    fetch_listed,
    gone,
    is_known,
)

DEFAULT_MESSAGE_STREAM = "outbound"

# Trigger property -> (Postmark trigger, {option property -> Postmark field}).
_TRIGGER_FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "open": ("Open", {"enabled": "Enabled", "post_first_open_only": "PostFirstOpenOnly"}),
    "click": ("Click", {"enabled": "Enabled"}),
    "delivery": ("Delivery", {"enabled": "Enabled"}),
    "bounce": ("Bounce", {"enabled": "Enabled", "include_content": "IncludeContent"}),
    "spam_complaint": (
        "SpamComplaint",
        {"enabled": "Enabled", "include_content": "IncludeContent"},
    ),
    "subscription_change": ("SubscriptionChange", {"enabled": "Enabled"}),
}

OUTPUT_PROPS = ("webhook_id",)
SECRET_OUTPUTS = ["http_auth", "http_headers"]


@dataclass(frozen=True)
class Trigger:
    """A webhook trigger without options (click, delivery, subscription change)."""

    enabled: bool = False
    """Post this event to the webhook URL."""


@dataclass(frozen=True)
class OpenTrigger:
    """The open trigger."""

    enabled: bool = False
    """Post open events."""
    post_first_open_only: bool = False
    """Post only the first open of each message."""


@dataclass(frozen=True)
class ContentTrigger:
    """A trigger that can include the message content (bounce, spam complaint)."""

    enabled: bool = False
    """Post this event."""
    include_content: bool = False
    """Include the message content in the payload."""


@dataclass(frozen=True)
class WebhookTriggers:
    """Which events the webhook receives; at least one must be enabled."""

    open: OpenTrigger = field(default_factory=OpenTrigger)
    """Message opened."""
    click: Trigger = field(default_factory=Trigger)
    """Link clicked."""
    delivery: Trigger = field(default_factory=Trigger)
    """Message delivered."""
    bounce: ContentTrigger = field(default_factory=ContentTrigger)
    """Message bounced."""
    spam_complaint: ContentTrigger = field(default_factory=ContentTrigger)
    """Recipient marked the message as spam."""
    subscription_change: Trigger = field(default_factory=Trigger)
    """Recipient subscription (suppression) changed."""

    def to_props(self) -> dict[str, dict[str, bool]]:
        return {
            name: {option: bool(getattr(getattr(self, name), option)) for option in options}
            for name, (_api, options) in _TRIGGER_FIELDS.items()
        }


@dataclass(frozen=True)
class WebhookHttpAuth:
    """HTTP basic auth Postmark uses when posting to the webhook URL. Pass Pulumi secrets."""

    username: pulumi.Input[str]
    """Basic auth user name."""
    password: pulumi.Input[str]
    """Basic auth password (secret)."""


@dataclass(frozen=True)
class PostmarkWebhookArgs:
    """Inputs of a Postmark webhook."""

    server_id: pulumi.Input[str]
    """ID of the Postmark server that owns the webhook (PostmarkServer.server_id). A change
    replaces the webhook."""
    url: pulumi.Input[str]
    """The http(s) URL Postmark posts events to. Postmark may test-post to it on create/edit
    (ErrorCode 1364 when it does not answer 200)."""
    triggers: WebhookTriggers
    """Events posted to the URL; at least one must be enabled."""
    message_stream: pulumi.Input[str] = DEFAULT_MESSAGE_STREAM
    """Message stream the webhook listens to. A change replaces the webhook."""
    http_auth: WebhookHttpAuth | None = None
    """Basic auth credentials (stored as secrets); None means no basic auth."""
    http_headers: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    """Extra headers sent with each post, name -> value, e.g. {"Authorization": "Bearer ..."}
    (stored as secrets). Changing a value (token rotation) updates the webhook in place."""

    def to_props(self) -> dict[str, Any]:
        auth = self.http_auth
        return {
            "server_id": self.server_id,
            "url": self.url,
            "message_stream": self.message_stream,
            "triggers": self.triggers.to_props(),
            # Always stored as secrets, even if the caller forgot to pass Pulumi secrets.
            "http_auth": None
            if auth is None
            else pulumi.Output.secret({"username": auth.username, "password": auth.password}),
            "http_headers": None
            if self.http_headers is None
            else pulumi.Output.secret(self.http_headers),
        }


# -- conversions between input properties and Postmark's JSON -------------------------------------


def normalize_triggers(value: Any) -> dict[str, dict[str, bool]]:
    """Every trigger with every option (missing ones false), for comparisons and outputs."""
    value = value if isinstance(value, Mapping) else {}
    out: dict[str, dict[str, bool]] = {}
    for name, (_api, options) in _TRIGGER_FIELDS.items():
        given = value.get(name) if isinstance(value.get(name), Mapping) else {}
        out[name] = {option: bool(given.get(option)) for option in options}
    return out


def _triggers_to_api(value: Any) -> dict[str, dict[str, bool]]:
    props = normalize_triggers(value)
    return {
        api: {api_field: props[name][option] for option, api_field in options.items()}
        for name, (api, options) in _TRIGGER_FIELDS.items()
    }


def _triggers_from_api(value: Any) -> dict[str, dict[str, bool]]:
    value = value if isinstance(value, Mapping) else {}
    out: dict[str, dict[str, bool]] = {}
    for name, (api, options) in _TRIGGER_FIELDS.items():
        given = value.get(api) if isinstance(value.get(api), Mapping) else {}
        out[name] = {option: bool(given.get(api_field)) for option, api_field in options.items()}
    return out


def normalize_http_auth(value: Any) -> dict[str, str] | None:
    """None when there is no basic auth (Postmark may answer null, {} or empty strings)."""
    if not isinstance(value, Mapping):
        return None
    username = value.get("username", value.get("Username")) or ""
    password = value.get("password", value.get("Password")) or ""
    if not username and not password:
        return None
    return {"username": str(username), "password": str(password)}


def normalize_headers(value: Any) -> dict[str, str]:
    """Headers as name -> value; header names compare case-insensitively."""
    if isinstance(value, Mapping):
        return {str(k).casefold(): str(v) for k, v in value.items()}
    return {}


def _headers_from_api(value: Any) -> dict[str, str]:
    if not isinstance(value, list):
        return {}
    return {str(h.get("Name")): str(h.get("Value") or "") for h in value if isinstance(h, Mapping)}


def _edit_body(props: Mapping[str, Any]) -> dict[str, Any]:
    auth = normalize_http_auth(props.get("http_auth"))
    headers = props.get("http_headers") or {}
    return {
        "Url": props["url"],
        # Empty credentials clear basic auth on edit (the API has no documented "remove").
        "HttpAuth": {
            "Username": auth["username"] if auth else "",
            "Password": auth["password"] if auth else "",
        },
        "HttpHeaders": [{"Name": k, "Value": v} for k, v in sorted(headers.items())],
        "Triggers": _triggers_to_api(props.get("triggers")),
    }


def _create_body(props: Mapping[str, Any]) -> dict[str, Any]:
    body = _edit_body(props)
    if normalize_http_auth(props.get("http_auth")) is None:
        del body["HttpAuth"]
    body["MessageStream"] = props.get("message_stream") or DEFAULT_MESSAGE_STREAM
    return body


def _outputs(hook: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "server_id": str(props["server_id"]),
        "url": hook.get("Url"),
        "message_stream": hook.get("MessageStream")
        or props.get("message_stream")
        or DEFAULT_MESSAGE_STREAM,
        "triggers": _triggers_from_api(hook.get("Triggers")),
        "http_auth": normalize_http_auth(hook.get("HttpAuth")),
        "http_headers": _headers_from_api(hook.get("HttpHeaders")),
        "webhook_id": str(hook["ID"]),
    }


_NORMALIZERS: dict[str, Callable[[Any], Any]] = {
    "server_id": as_text,
    "url": as_text,
    "message_stream": as_text,
    "triggers": normalize_triggers,
    "http_auth": normalize_http_auth,
    "http_headers": normalize_headers,
}


def _where(props: Mapping[str, Any], id_: str | None = None) -> str:
    suffix = f" {id_}" if id_ else ""
    return (
        f"Postmark webhook{suffix} ({props.get('url')!r} on server {props.get('server_id')}, "
        f"stream {props.get('message_stream') or DEFAULT_MESSAGE_STREAM!r})"
    )


def _secrets(props: Mapping[str, Any]) -> list[str]:
    """The webhook's credentials, and a bearer's bare token, to redact from any error text."""
    values = [v for v in normalize_headers(props.get("http_headers")).values() if v]
    auth = normalize_http_auth(props.get("http_auth"))
    if auth and auth.get("password"):
        values.append(auth["password"])
    bare = [v.split(" ", 1)[1] for v in values if " " in v and v.split(" ", 1)[1]]
    return sorted(set(values + bare), key=len, reverse=True)  # longest first


def _list_webhooks(client: PostmarkClient, stream: str) -> list[dict[str, Any]]:
    return list(client.get("/webhooks", params={"MessageStream": stream}).get("Webhooks") or [])


class WebhookProvider(PostmarkProvider):
    """CRUD for webhooks, authenticated with the owning server's token fetched per call."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = dict(news)
        failures = Failures()
        failures.require_server_id(inputs)
        failures.require_text(inputs, "url")
        url = inputs.get("url")
        if (
            isinstance(url, str)
            and is_known(url)
            and url
            and not url.startswith(("https://", "http://"))
        ):
            failures.add("url", f"url must be an http(s) URL; got {url!r}.")
        if inputs.get("message_stream") is None:
            inputs["message_stream"] = DEFAULT_MESSAGE_STREAM
        failures.require_text(inputs, "message_stream")
        self._check_triggers(inputs.get("triggers"), failures)
        self._check_auth_and_headers(inputs.get("http_auth"), inputs.get("http_headers"), failures)
        return CheckResult(inputs, failures.items)

    @staticmethod
    def _check_triggers(triggers: Any, failures: Failures) -> None:
        if not is_known(triggers):
            return
        if not isinstance(triggers, Mapping):
            failures.add("triggers", "triggers must be set (see WebhookTriggers).")
            return
        for name, value in triggers.items():
            if name not in _TRIGGER_FIELDS:
                failures.add(
                    "triggers", f"unknown trigger {name!r}; use {', '.join(_TRIGGER_FIELDS)}."
                )
            elif not isinstance(value, Mapping) or any(
                opt not in _TRIGGER_FIELDS[name][1] or not isinstance(v, bool)
                for opt, v in value.items()
            ):
                failures.add(
                    "triggers",
                    f"trigger {name!r} takes only boolean options "
                    f"{', '.join(_TRIGGER_FIELDS[name][1])}.",
                )
        if not any(t["enabled"] for t in normalize_triggers(triggers).values()):
            failures.add("triggers", "enable at least one trigger, or the webhook never fires.")

    @staticmethod
    def _check_auth_and_headers(auth: Any, headers: Any, failures: Failures) -> None:
        if auth is not None and is_known(auth):
            if (
                not isinstance(auth, Mapping)
                or not auth.get("username")
                or not auth.get("password")
            ):
                failures.add("http_auth", "http_auth needs both a username and a password.")
        if headers is None or not is_known(headers):
            return
        if not isinstance(headers, Mapping):
            failures.add("http_headers", "http_headers must map header names to values.")
            return
        seen: set[str] = set()
        for name, value in headers.items():
            folded = str(name).strip().casefold()
            if not folded:
                failures.add("http_headers", "header names must not be empty.")
            elif folded in seen:
                failures.add("http_headers", f"header {name!r} is given twice (names ignore case).")
            seen.add(folded)
            if not isinstance(value, str):
                failures.add("http_headers", f"header {name!r} must have a string value.")
        # How Postmark combines an Authorization header with HttpAuth is unconfirmed: refuse both.
        if "authorization" in seen and auth is not None:
            failures.add(
                "http_headers",
                "set either http_auth or an Authorization header, not both.",
            )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return diff_inputs(
            olds, news, _NORMALIZERS, replace_on={"server_id", "message_stream"}
        ).to_diff_result()

    def create(self, props: dict[str, Any]) -> CreateResult:
        where = f"Creating {_where(props)}"
        stream = props.get("message_stream") or DEFAULT_MESSAGE_STREAM
        try:
            with self._server_session(str(props["server_id"]), _secrets(props)) as session:
                client = session.server
                # Webhooks have no unique key: the natural key is (server, stream, URL), and only
                # one absent before the first POST can be ours.
                existing_ids = {w.get("ID") for w in _list_webhooks(client, stream)}

                def find_created() -> dict[str, Any] | None:
                    new = [
                        w
                        for w in _list_webhooks(client, stream)
                        if w.get("ID") not in existing_ids and w.get("Url") == props["url"]
                    ]
                    if len(new) > 1:  # each lost attempt is looked for before the next one
                        raise PostmarkError(
                            f"{len(new)} new webhooks with this URL appeared during the create "
                            f"(ids {', '.join(str(w['ID']) for w in new)})",
                            guidance="something else is creating webhooks on this server: keep "
                            "one, delete the others in Postmark, then run `pulumi up` again.",
                        )
                    return fetch_listed(client, "webhooks", new[0] if new else None)

                hook = client.post("/webhooks", json=_create_body(props), recover=find_created)
        except PostmarkError as err:
            raise err.in_context(where) from None
        return CreateResult(str(hook["ID"]), _outputs(hook, props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            with self._server_session(str(props["server_id"]), _secrets(props)) as session:
                try:
                    hook = session.server.get(f"/webhooks/{id_}")
                except PostmarkError as err:
                    if session.means_gone(err):
                        return gone()
                    raise
        except ParentServerGoneError:
            return gone()
        except PostmarkError as err:
            raise err.in_context(f"Reading {_where(props, id_)}") from None
        return ReadResult(id_=str(hook["ID"]), outs=_outputs(hook, props))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        try:
            with self._server_session(str(news["server_id"]), _secrets(news)) as session:
                hook = session.server.put(f"/webhooks/{id_}", json=_edit_body(news))
        except PostmarkError as err:
            raise err.in_context(f"Updating {_where(news, id_)}") from None
        return UpdateResult(outs=_outputs(hook, news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            with self._server_session(str(props["server_id"])) as session:
                try:
                    session.server.delete(f"/webhooks/{id_}")
                except PostmarkError as err:
                    if session.means_gone(err):
                        return
                    raise
        except ParentServerGoneError:
            return  # the server and its webhooks are gone
        except PostmarkError as err:
            raise err.in_context(f"Deleting {_where(props, id_)}") from None


class PostmarkWebhook(pulumi.dynamic.Resource, module="postmark", name="Webhook"):
    """A webhook on a Postmark server (type token ``pulumi-python:dynamic/postmark:Webhook``).

    Verified only against the project's local Postmark-compatible fake server.
    """

    server_id: pulumi.Output[str]
    url: pulumi.Output[str]
    message_stream: pulumi.Output[str]
    triggers: pulumi.Output[dict[str, Any]]
    http_auth: pulumi.Output[dict[str, str] | None]
    """Basic auth credentials (secret)."""
    http_headers: pulumi.Output[dict[str, str]]
    """Custom headers (secret)."""
    webhook_id: pulumi.Output[str]
    """Postmark's webhook ID."""

    def __init__(
        self,
        resource_name: str,
        args: PostmarkWebhookArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {**args.to_props(), **dict.fromkeys(OUTPUT_PROPS)}
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=SECRET_OUTPUTS)
        )
        super().__init__(WebhookProvider(), resource_name, props, opts)
