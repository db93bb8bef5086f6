"""Only Postmark's own not-found answer means gone: refresh keeps, destroy fails on anything else.

A 404 with an empty body, an HTML page or JSON of another shape comes from a wrong base URL, a
proxy or a captive portal. Read must not drop the object from state and delete must not report
success while the object still exists.
"""

from __future__ import annotations

import pytest

from components.mail.postmark.errors import PostmarkError
from components.mail.postmark.provider_base import ConnectionSettings
from tests.postmark.helpers import NOT_POSTMARK_404S, create
from tests.postmark.kinds import KIND_IDS, KINDS, Kind
from tools.localcloud.postmark_server import FakePostmark


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
@pytest.mark.parametrize("answer", NOT_POSTMARK_404S.values(), ids=list(NOT_POSTMARK_404S.keys()))
def test_read_keeps_the_object_on_a_404_that_is_not_postmarks(
    fake_postmark: FakePostmark, connection: ConnectionSettings, kind: Kind, answer
):
    provider = kind.provider(connection)
    object_id, outs = create(provider, kind.props(fake_postmark))
    fake_postmark.fail_next(404, method="GET", path=kind.object_path(object_id), **answer)

    with pytest.raises(PostmarkError) as caught:
        provider.read(object_id, outs)

    assert "POSTMARK_API_URL" in str(caught.value) and "Nothing was treated as deleted" in str(
        caught.value
    )
    assert fake_postmark.pending_faults == []


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
@pytest.mark.parametrize("answer", NOT_POSTMARK_404S.values(), ids=list(NOT_POSTMARK_404S.keys()))
def test_delete_fails_on_a_404_that_is_not_postmarks(
    fake_postmark: FakePostmark, connection: ConnectionSettings, kind: Kind, answer
):
    provider = kind.provider(connection)
    props = kind.props(fake_postmark)
    object_id, outs = create(provider, props)
    method, path = kind.delete
    fake_postmark.fail_next(404, method=method, path=path(object_id), **answer)

    with pytest.raises(PostmarkError, match="POSTMARK_API_URL"):
        provider.delete(object_id, outs)

    assert kind.live_ids(fake_postmark, props) == [object_id]  # still there, and we said so


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_a_wrong_base_url_is_an_error_for_read_and_delete(
    fake_postmark: FakePostmark,
    connection: ConnectionSettings,
    kind: Kind,
    monkeypatch: pytest.MonkeyPatch,
):
    provider = kind.provider(connection)
    props = kind.props(fake_postmark)
    object_id, outs = create(provider, props)
    # A path prefix too many: every call reaches something that answers empty 404s.
    monkeypatch.setenv("POSTMARK_API_URL", f"{fake_postmark.url}/v1")

    for operation in (provider.read, provider.delete):
        with pytest.raises(PostmarkError, match="POSTMARK_API_URL"):
            operation(object_id, outs)

    assert kind.live_ids(fake_postmark, props) == [object_id]


DELETED_BY_DELETE = [k for k in KINDS if k.delete[0] == "DELETE"]  # streams are archived


@pytest.mark.parametrize("kind", DELETED_BY_DELETE, ids=[k.name for k in DELETED_BY_DELETE])
def test_delete_needs_postmarks_removal_receipt(
    fake_postmark: FakePostmark, connection: ConnectionSettings, kind: Kind
):
    provider = kind.provider(connection)
    props = kind.props(fake_postmark)
    object_id, outs = create(provider, props)
    # An empty 200 (a proxy that swallows the call) proves nothing was deleted.
    fake_postmark.fail_next(200, empty_body=True, method="DELETE", path=kind.delete[1](object_id))

    with pytest.raises(PostmarkError, match="removal receipt"):
        provider.delete(object_id, outs)

    assert kind.live_ids(fake_postmark, props) == [object_id]


SERVER_SCOPED = [k for k in KINDS if k.name in ("webhook", "message stream")]


@pytest.mark.parametrize("kind", SERVER_SCOPED, ids=[k.name for k in SERVER_SCOPED])
def test_a_404_not_from_postmark_on_the_server_lookup_is_not_gone(
    fake_postmark: FakePostmark, connection: ConnectionSettings, kind: Kind
):
    """Webhooks and streams first fetch their server's token: that lookup must not read an empty
    404 as "the server and everything on it is gone"."""
    provider = kind.provider(connection)
    props = kind.props(fake_postmark)
    object_id, outs = create(provider, props)
    server_path = f"/servers/{props['server_id']}"
    for operation in (provider.read, provider.delete):
        fake_postmark.fail_next(404, empty_body=True, method="GET", path=server_path)
        with pytest.raises(PostmarkError, match="POSTMARK_API_URL"):
            operation(object_id, outs)
    assert kind.live_ids(fake_postmark, props) == [object_id]
