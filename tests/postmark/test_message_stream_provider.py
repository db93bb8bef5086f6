"""MessageStreamProvider against the fake: delete archives, re-create unarchives."""

from __future__ import annotations

import pytest

from components.mail.postmark.errors import PostmarkError
from components.mail.postmark.message_stream import (
    MessageStreamProvider,
    PostmarkMessageStreamArgs,
    stream_id_problem,
)
from components.mail.postmark.provider_base import ConnectionSettings
from tests.postmark.helpers import checked, create, failures_by_property
from tools.localcloud.postmark_server import FakePostmark

STREAM = "bookmarks-notices"


@pytest.fixture
def streams(connection: ConnectionSettings) -> MessageStreamProvider:
    return MessageStreamProvider(connection)


@pytest.fixture
def server_id(fake_postmark: FakePostmark) -> str:
    return str(fake_postmark.add_server("acme-prod-streams")["ID"])


def stream_props(server_id: str, **overrides) -> dict:
    args = PostmarkMessageStreamArgs(
        server_id=server_id,
        stream_id=STREAM,
        stream_type="Broadcasts",
        name="Bookmarks notices",
        description="Weekly digest",
    )
    return {**args.to_props(), **overrides}


def test_create_makes_the_stream(fake_postmark: FakePostmark, streams, server_id):
    stream_id, outs = create(streams, stream_props(server_id))
    live = fake_postmark.message_streams(server_id)[STREAM]
    assert stream_id == STREAM and live["MessageStreamType"] == "Broadcasts"
    assert live["Description"] == "Weekly digest"
    assert outs == {**outs, "stream_type": "Broadcasts", "name": "Bookmarks notices"}


def test_delete_archives_and_recreate_unarchives(fake_postmark: FakePostmark, streams, server_id):
    stream_id, outs = create(streams, stream_props(server_id))
    streams.delete(stream_id, outs)
    assert fake_postmark.message_streams(server_id)[STREAM]["ArchivedAt"]  # archived, not gone
    assert not streams.read(stream_id, outs).id  # refresh treats archived as deleted

    again_id, again = create(streams, stream_props(server_id, name="Renamed"))
    live = fake_postmark.message_streams(server_id)[STREAM]
    assert again_id == STREAM and live["ArchivedAt"] is None and live["Name"] == "Renamed"
    assert fake_postmark.count_requests("POST", f"/message-streams/{STREAM}/unarchive") == 1
    assert fake_postmark.count_requests("POST", "/message-streams") == 1  # no second create


def test_recreate_over_an_archived_stream_of_another_type_is_explained(
    fake_postmark: FakePostmark, streams, server_id
):
    stream_id, outs = create(streams, stream_props(server_id))
    streams.delete(stream_id, outs)
    with pytest.raises(PostmarkError, match="choose another stream_id"):
        create(streams, stream_props(server_id, stream_type="Transactional"))


def test_an_active_stream_with_the_same_id_is_not_taken_over(
    fake_postmark: FakePostmark, streams, server_id
):
    create(streams, stream_props(server_id))
    with pytest.raises(PostmarkError, match="already exists"):
        create(streams, stream_props(server_id))


def test_delete_twice_and_delete_after_server_removal_succeed(
    fake_postmark: FakePostmark, streams, server_id
):
    stream_id, outs = create(streams, stream_props(server_id))
    streams.delete(stream_id, outs)
    streams.delete(stream_id, outs)
    assert fake_postmark.count_requests("POST", f"/message-streams/{STREAM}/archive") == 1
    fake_postmark.remove_server(server_id)
    streams.delete(stream_id, outs)
    assert not streams.read(stream_id, outs).id


@pytest.mark.parametrize("style", ["422", "404"])
def test_delete_and_read_of_a_missing_stream(
    fake_postmark: FakePostmark, streams, server_id, style
):
    fake_postmark.not_found_style = style
    props = stream_props(server_id)
    streams.delete("never-created", props)
    assert not streams.read("never-created", props).id


def test_name_and_description_update_in_place(fake_postmark: FakePostmark, streams, server_id):
    stream_id, outs = create(streams, stream_props(server_id))
    news = checked(streams, stream_props(server_id, name="New name", description=None))
    diff = streams.diff(stream_id, outs, news)
    assert diff.changes and diff.replaces == []
    outs = streams.update(stream_id, outs, news).outs
    live = fake_postmark.message_streams(server_id)[STREAM]
    assert live["Name"] == "New name" and live["Description"] is None
    assert outs["description"] is None
    refreshed = streams.read(stream_id, outs).outs
    assert streams.diff(stream_id, refreshed, news).changes is False


@pytest.mark.parametrize(
    ("key", "value", "delete_first"),
    [("stream_type", "Transactional", True), ("stream_id", "other-stream", False)],
)
def test_id_or_type_change_replaces(
    fake_postmark: FakePostmark, streams, server_id, key, value, delete_first
):
    stream_id, outs = create(streams, stream_props(server_id))
    diff = streams.diff(stream_id, outs, checked(streams, stream_props(server_id, **{key: value})))
    assert diff.replaces == [key] and bool(diff.delete_before_replace) is delete_first


def test_create_applied_then_dropped_keeps_one_stream(
    fake_postmark: FakePostmark, streams, server_id
):
    fake_postmark.drop_next(method="POST", path="/message-streams", after_apply=True)
    stream_id, _ = create(streams, stream_props(server_id))
    assert stream_id in fake_postmark.message_streams(server_id)
    assert fake_postmark.count_requests("POST", "/message-streams") == 1  # found, not re-posted


def test_archiving_a_default_stream_surfaces_1229(fake_postmark: FakePostmark, streams, server_id):
    with pytest.raises(PostmarkError) as caught:
        streams.delete("outbound", stream_props(server_id, stream_id="outbound"))
    assert caught.value.error_code == 1229


@pytest.mark.parametrize(
    "stream_id",
    ["all", "pm-mine", "1starts-with-digit", "Upper", "has space", "x" * 31, ""],
)
def test_invalid_stream_ids_fail_check(streams: MessageStreamProvider, stream_id: str):
    failures = failures_by_property(streams, stream_props("1", stream_id=stream_id))
    assert set(failures) == {"stream_id"}


@pytest.mark.parametrize("stream_id", ["a", "bookmarks_mail-2", "x" * 30])
def test_valid_stream_ids(stream_id: str):
    assert stream_id_problem(stream_id) is None


def test_check_validates_type_name_and_description(streams: MessageStreamProvider):
    failures = failures_by_property(
        streams,
        stream_props("1", stream_type="Marketing", name="n" * 101, description="<b>hi</b>"),
    )
    assert set(failures) == {"stream_type", "name", "description"}
