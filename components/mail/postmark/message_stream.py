"""Postmark message stream: dynamic provider and resource (server-token API).

Postmark has no hard delete: delete archives the stream (purged after 45 days, restorable until
then) and the ID stays reserved. So create first looks for a same-ID stream, archived streams
included, and unarchives it instead of failing. ``stream_id``, ``stream_type`` and ``server_id``
cannot change: a change replaces the stream.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from components.mail.postmark.client import PostmarkClient
from components.mail.postmark.errors import ParentServerGoneError, PostmarkError
from components.mail.postmark.provider_base import (
    Failures,
    PostmarkProvider,
    as_is,
    as_text,
    canonical_choice,
    diff_inputs,
    gone,
    is_known,
)

STREAM_TYPES = ("Transactional", "Broadcasts", "Inbound")
_STREAM_ID = re.compile(r"^[a-z][a-z0-9_-]{0,29}$")
_NORMALIZERS = {
    "server_id": as_text,
    "stream_id": as_is,
    "stream_type": as_is,
    "name": as_is,
    "description": as_text,  # Postmark answers null for no description
}
_REPLACE_ON = frozenset({"server_id", "stream_id", "stream_type"})


@dataclass(frozen=True)
class PostmarkMessageStreamArgs:
    """Inputs of a Postmark message stream."""

    server_id: pulumi.Input[str]
    """ID of the Postmark server that owns the stream (PostmarkServer.server_id). A change
    replaces the stream."""
    stream_id: pulumi.Input[str]
    """Stream ID: starts with a letter, only a-z, 0-9, '-' and '_', at most 30 characters, not
    starting with 'pm-', not 'all'. A change replaces the stream."""
    stream_type: pulumi.Input[str]
    """"Transactional", "Broadcasts" or "Inbound". A change replaces the stream."""
    name: pulumi.Input[str]
    """Display name (at most 100 characters)."""
    description: pulumi.Input[str] | None = None
    """Description (at most 1000 characters, no '<' or '>'); None means none."""

    def to_props(self) -> dict[str, Any]:
        return {
            "server_id": self.server_id,
            "stream_id": self.stream_id,
            "stream_type": self.stream_type,
            "name": self.name,
            "description": self.description,
        }


def stream_id_problem(stream_id: str) -> str | None:
    """Why Postmark would refuse this stream ID, or None if it is acceptable."""
    if stream_id == "all":
        return "'all' is reserved by Postmark."
    if stream_id.startswith("pm-"):
        return "stream IDs must not start with 'pm-'."
    if not _STREAM_ID.match(stream_id):
        return (
            "stream IDs start with a lowercase letter and hold only a-z, 0-9, '-' and '_' "
            "(30 characters at most)."
        )
    return None


def _is_archived(stream: Mapping[str, Any]) -> bool:
    return bool(stream.get("ArchivedAt"))


def _outputs(stream: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "server_id": str(props["server_id"]),
        "stream_id": stream.get("ID"),
        "stream_type": stream.get("MessageStreamType"),
        "name": stream.get("Name"),
        "description": stream.get("Description") or None,
    }


def _where(props: Mapping[str, Any]) -> str:
    return f"Postmark message stream {props.get('stream_id')!r} on server {props.get('server_id')}"


def _find_stream(client: PostmarkClient, stream_id: str) -> dict[str, Any] | None:
    """The stream with this ID, archived ones included."""
    listing = client.get(
        "/message-streams",
        params={"MessageStreamType": "All", "IncludeArchivedStreams": "true"},
    )
    return next((s for s in listing.get("MessageStreams") or [] if s.get("ID") == stream_id), None)


class MessageStreamProvider(PostmarkProvider):
    """CRUD for message streams; delete archives, create unarchives a same-ID archived stream."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = dict(news)
        failures = Failures()
        failures.require_server_id(inputs)
        stream_id = inputs.get("stream_id")
        failures.require_text(inputs, "stream_id")
        if isinstance(stream_id, str) and stream_id and is_known(stream_id):
            problem = stream_id_problem(stream_id)
            if problem:
                failures.add("stream_id", f"stream_id {stream_id!r} is invalid: {problem}")
        stream_type = inputs.get("stream_type")
        if is_known(stream_type):
            canonical = canonical_choice(stream_type, STREAM_TYPES)
            if canonical is None:
                failures.add(
                    "stream_type",
                    f"stream_type must be one of {', '.join(STREAM_TYPES)}; got {stream_type!r}.",
                )
            else:
                inputs["stream_type"] = canonical
        failures.require_text(inputs, "name")
        name = inputs.get("name")
        if isinstance(name, str) and is_known(name) and len(name) > 100:
            failures.add("name", "name must be 100 characters or fewer.")
        failures.optional_text(inputs, "description")
        description = inputs.get("description")
        if isinstance(description, str) and is_known(description):
            if len(description) > 1000:
                failures.add("description", "description must be 1000 characters or fewer.")
            if "<" in description or ">" in description:
                failures.add("description", "description must not contain '<' or '>'.")
        return CheckResult(inputs, failures.items)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = diff_inputs(olds, news, _NORMALIZERS, replace_on=_REPLACE_ON)
        # Same ID on the same server: the old stream must be archived before the new one exists.
        same_id = "stream_id" not in changes.changed and "server_id" not in changes.changed
        return changes.to_diff_result(delete_before_replace=same_id)

    def create(self, props: dict[str, Any]) -> CreateResult:
        stream_id = props["stream_id"]
        try:
            with self._server_session(str(props["server_id"])) as session:
                stream = self._create_or_unarchive(session.server, props)
        except PostmarkError as err:
            raise err.in_context(f"Creating {_where(props)}") from None
        return CreateResult(stream_id, _outputs(stream, props))

    def _create_or_unarchive(self, client: PostmarkClient, props: dict[str, Any]) -> dict[str, Any]:
        stream_id = props["stream_id"]
        existing = _find_stream(client, stream_id)
        if existing is not None:
            if not _is_archived(existing):
                raise PostmarkError(
                    "a stream with this ID already exists",
                    guidance="choose another stream_id, or remove the existing stream in Postmark "
                    "(archive it) and run `pulumi up` again.",
                )
            if existing.get("MessageStreamType") != props["stream_type"]:
                raise PostmarkError(
                    f"an archived {existing.get('MessageStreamType')} stream holds this ID until "
                    f"it is purged ({existing.get('ExpectedPurgeDate')})",
                    guidance="choose another stream_id (Postmark reserves archived IDs until "
                    "purge), or keep the archived stream's type.",
                )
            client.post(f"/message-streams/{stream_id}/unarchive")
            return client.patch(f"/message-streams/{stream_id}", json=_edit_body(props))
        body = {
            "ID": stream_id,
            "Name": props["name"],
            "MessageStreamType": props["stream_type"],
            **({"Description": props["description"]} if props.get("description") else {}),
        }
        # No stream had this ID a moment ago: one that appears after a lost attempt is ours.
        return client.post(
            "/message-streams", json=body, recover=lambda: _find_stream(client, stream_id)
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            with self._server_session(str(props["server_id"])) as session:
                try:
                    stream = session.server.get(f"/message-streams/{id_}")
                except PostmarkError as err:
                    if session.means_gone(err):
                        return gone()
                    raise
        except ParentServerGoneError:
            return gone()
        except PostmarkError as err:
            raise err.in_context(f"Reading {_where(props)}") from None
        if _is_archived(stream):
            return gone()  # archived outside Pulumi: "deleted" as far as Postmark lets us
        return ReadResult(id_=str(stream["ID"]), outs=_outputs(stream, props))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        try:
            with self._server_session(str(news["server_id"])) as session:
                stream = session.server.patch(f"/message-streams/{id_}", json=_edit_body(news))
        except PostmarkError as err:
            raise err.in_context(f"Updating {_where(news)}") from None
        return UpdateResult(outs=_outputs(stream, news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            with self._server_session(str(props["server_id"])) as session:
                try:
                    stream = session.server.get(f"/message-streams/{id_}")
                    if not _is_archived(stream):
                        session.server.post(f"/message-streams/{id_}/archive")
                except PostmarkError as err:
                    if session.means_gone(err):
                        return
                    raise
        except ParentServerGoneError:
            return
        except PostmarkError as err:
            raise err.in_context(f"Archiving {_where(props)}") from None


def _edit_body(props: Mapping[str, Any]) -> dict[str, Any]:
    # Empty string clears the description (PATCH only touches the fields it is given).
    return {"Name": props["name"], "Description": props.get("description") or ""}


class PostmarkMessageStream(pulumi.dynamic.Resource, module="postmark", name="MessageStream"):
    """A message stream on a Postmark server
    (type token ``pulumi-python:dynamic/postmark:MessageStream``).

    Verified only against the project's local Postmark-compatible fake server.
    """

    server_id: pulumi.Output[str]
    stream_id: pulumi.Output[str]
    stream_type: pulumi.Output[str]
    name: pulumi.Output[str]
    description: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        args: PostmarkMessageStreamArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(MessageStreamProvider(), resource_name, args.to_props(), opts)
