"""WebhookProvider against the fake: server token fetched per call, secrets, rotation, gone-ness."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from components.mail.postmark.errors import PostmarkError
from components.mail.postmark.provider_base import ConnectionSettings
from components.mail.postmark.webhook import (
    ContentTrigger,
    OpenTrigger,
    PostmarkWebhookArgs,
    Trigger,
    WebhookProvider,
    WebhookTriggers,
)
from tests.postmark.helpers import checked, create, failures_by_property
from tools.localcloud.postmark_server import FakePostmark, fake_token

URL = "https://bookmarks.example.com/hooks/postmark"
TRIGGERS = WebhookTriggers(
    open=OpenTrigger(enabled=True, post_first_open_only=True),
    bounce=ContentTrigger(enabled=True, include_content=True),
    delivery=Trigger(enabled=True),
)


@pytest.fixture
def hooks(connection: ConnectionSettings) -> WebhookProvider:
    return WebhookProvider(connection)


@pytest.fixture
def server_id(fake_postmark: FakePostmark) -> str:
    return str(fake_postmark.add_server("acme-prod-hooks")["ID"])


def webhook_props(server_id: str, **overrides) -> dict:
    """Props as the engine passes them: secrets arrive as plain values (acceptSecrets=False)."""
    props = PostmarkWebhookArgs(server_id=server_id, url=URL, triggers=TRIGGERS).to_props()
    props["http_headers"] = {"Authorization": "Bearer fake-bearer-one"}
    return {**props, **overrides}


def test_create_uses_the_servers_own_token(fake_postmark: FakePostmark, hooks, server_id):
    hook_id, outs = create(hooks, webhook_props(server_id))
    live = fake_postmark.webhooks[int(hook_id)]
    assert live["ServerID"] == int(server_id) and live["MessageStream"] == "outbound"
    assert live["HttpHeaders"] == [{"Name": "Authorization", "Value": "Bearer fake-bearer-one"}]
    assert live["Triggers"]["Open"] == {"Enabled": True, "PostFirstOpenOnly": True}
    assert live["Triggers"]["Bounce"] == {"Enabled": True, "IncludeContent": True}
    assert live["Triggers"]["Click"] == {"Enabled": False}
    webhook_calls = [r for r in fake_postmark.requests if r.path.startswith("/webhooks")]
    assert webhook_calls and all(r.auth == "server" for r in webhook_calls)
    assert outs["webhook_id"] == hook_id and outs["http_headers"]["Authorization"].endswith("one")
    assert outs["triggers"]["delivery"] == {"enabled": True}


def test_bearer_rotation_is_an_update_not_a_replace(fake_postmark: FakePostmark, hooks, server_id):
    hook_id, outs = create(hooks, webhook_props(server_id))
    news = checked(hooks, webhook_props(server_id, http_headers={"Authorization": "Bearer two"}))
    diff = hooks.diff(hook_id, outs, news)
    assert diff.changes is True and diff.replaces == []
    result = hooks.update(hook_id, outs, news)
    assert result.outs["webhook_id"] == hook_id
    assert fake_postmark.webhooks[int(hook_id)]["HttpHeaders"][0]["Value"] == "Bearer two"
    assert list(fake_postmark.webhooks) == [int(hook_id)]


def test_basic_auth_can_be_set_and_removed(fake_postmark: FakePostmark, hooks, server_id):
    password = fake_token("basic-password")
    auth = {"username": "postmark", "password": password}
    hook_id, outs = create(hooks, webhook_props(server_id, http_headers=None, http_auth=auth))
    assert fake_postmark.webhooks[int(hook_id)]["HttpAuth"]["Password"] == password
    assert outs["http_auth"] == auth
    news = checked(hooks, webhook_props(server_id, http_headers=None, http_auth=None))
    assert hooks.diff(hook_id, outs, news).changes is True
    outs = hooks.update(hook_id, outs, news).outs
    assert fake_postmark.webhooks[int(hook_id)]["HttpAuth"] is None and outs["http_auth"] is None


@pytest.mark.parametrize("key", ["message_stream", "server_id"])
def test_stream_or_server_change_replaces(fake_postmark: FakePostmark, hooks, server_id, key):
    hook_id, outs = create(hooks, webhook_props(server_id))
    other = {"message_stream": "broadcast", "server_id": "999"}[key]
    news = checked(hooks, {**webhook_props(server_id), key: other})
    diff = hooks.diff(hook_id, outs, news)
    assert diff.replaces == [key]


def test_url_and_trigger_changes_update_in_place(fake_postmark: FakePostmark, hooks, server_id):
    hook_id, outs = create(hooks, webhook_props(server_id))
    triggers = WebhookTriggers(click=Trigger(enabled=True)).to_props()
    news = checked(hooks, webhook_props(server_id, url=f"{URL}/v2", triggers=triggers))
    assert hooks.diff(hook_id, outs, news).replaces == []
    hooks.update(hook_id, outs, news)
    live = fake_postmark.webhooks[int(hook_id)]
    assert live["Url"] == f"{URL}/v2" and live["Triggers"]["Click"]["Enabled"] is True
    assert live["Triggers"]["Open"]["Enabled"] is False


def test_unchanged_webhook_has_no_diff(fake_postmark: FakePostmark, hooks, server_id):
    hook_id, outs = create(hooks, webhook_props(server_id))
    refreshed = hooks.read(hook_id, outs).outs
    assert hooks.diff(hook_id, refreshed, checked(hooks, webhook_props(server_id))).changes is False


def test_drift_in_url_and_header_shows_up(fake_postmark: FakePostmark, hooks, server_id):
    hook_id, outs = create(hooks, webhook_props(server_id))
    fake_postmark.edit_webhook(
        hook_id,
        Url="https://attacker.example.net/",
        HttpHeaders=[{"Name": "Authorization", "Value": "Bearer changed"}],
    )
    refreshed = hooks.read(hook_id, outs).outs
    assert refreshed["url"] == "https://attacker.example.net/"
    assert refreshed["http_headers"] == {"Authorization": "Bearer changed"}
    assert hooks.diff(hook_id, refreshed, checked(hooks, webhook_props(server_id))).changes


@pytest.mark.parametrize("style", ["422", "404"])
def test_refresh_after_out_of_band_delete_reports_gone(
    fake_postmark: FakePostmark, hooks, server_id, style
):
    hook_id, outs = create(hooks, webhook_props(server_id))
    fake_postmark.remove_webhook(hook_id)
    fake_postmark.not_found_style = style
    result = hooks.read(hook_id, outs)
    assert not result.id and result.outs == {}
    hooks.delete(hook_id, outs)  # already gone: success


def test_refresh_after_the_server_was_deleted_reports_gone(
    fake_postmark: FakePostmark, hooks, server_id
):
    hook_id, outs = create(hooks, webhook_props(server_id))
    fake_postmark.remove_server(server_id)
    assert not hooks.read(hook_id, outs).id
    hooks.delete(hook_id, outs)


def test_401_once_the_server_is_gone_means_gone(fake_postmark: FakePostmark, hooks, server_id):
    hook_id, outs = create(hooks, webhook_props(server_id))
    # The server disappears between the token lookup and the webhook call.
    fake_postmark.before_next(
        lambda fake: fake.remove_server(server_id), method="GET", path="/webhooks/*"
    )
    result = hooks.read(hook_id, outs)
    assert not result.id
    assert [r.status for r in fake_postmark.requests if r.path.startswith("/webhooks/")][-1] == 401


def test_401_while_the_server_exists_is_an_error(fake_postmark: FakePostmark, hooks, server_id):
    hook_id, outs = create(hooks, webhook_props(server_id))
    fake_postmark.fail_next(401, error_code=10, method="GET", path="/webhooks/*")
    with pytest.raises(PostmarkError) as caught:
        hooks.read(hook_id, outs)
    assert caught.value.http_status == 401 and "server API token" in str(caught.value)
    assert fake_postmark.server_token(server_id) not in str(caught.value)


def test_endpoint_that_fails_verification_gives_1364_guidance(
    fake_postmark: FakePostmark, hooks, server_id
):
    fake_postmark.failing_webhook_urls.add(URL)
    with pytest.raises(PostmarkError) as caught:
        create(hooks, webhook_props(server_id))
    assert caught.value.error_code == 1364
    assert "answer HTTP 200" in str(caught.value) and URL in str(caught.value)
    assert fake_postmark.webhooks == {}


@pytest.mark.parametrize("echoed", ["Bearer fake-bearer-one", "fake-bearer-one", "fake-pass-two"])
def test_webhook_credentials_echoed_by_postmark_never_reach_the_error(
    fake_postmark: FakePostmark, hooks, server_id, echoed
):
    fake_postmark.fail_next(
        422,
        error_code=606,
        message=f"Rejected header value {echoed}",
        method="POST",
        path="/webhooks",
    )
    props = webhook_props(server_id)
    props["http_headers"] = {"Authorization": "Bearer fake-bearer-one", "X-Other": "fake-pass-two"}
    with pytest.raises(PostmarkError) as caught:
        create(hooks, props)
    assert caught.value.error_code == 606
    assert echoed.split()[-1] not in str(caught.value) and "[redacted]" in str(caught.value)


def test_create_on_a_missing_server_explains(fake_postmark: FakePostmark, hooks):
    with pytest.raises(PostmarkError, match="server 4242 does not exist"):
        create(hooks, webhook_props("4242"))


def test_create_applied_then_dropped_keeps_one_webhook(
    fake_postmark: FakePostmark, hooks, server_id
):
    other = create(hooks, webhook_props(server_id, url="https://other.example.com/h"))[0]
    fake_postmark.drop_next(method="POST", path="/webhooks", after_apply=True)
    hook_id, outs = create(hooks, webhook_props(server_id))
    assert sorted(fake_postmark.webhooks) == sorted([int(other), int(hook_id)])
    assert outs["url"] == URL


def test_create_dropped_before_apply_is_retried(fake_postmark: FakePostmark, hooks, server_id):
    fake_postmark.drop_next(method="POST", path="/webhooks")
    hook_id, _ = create(hooks, webhook_props(server_id))
    assert list(fake_postmark.webhooks) == [int(hook_id)]
    assert fake_postmark.count_requests("POST", "/webhooks") == 2


def test_check_reports_bad_inputs_by_property(hooks: WebhookProvider):
    no_triggers = WebhookTriggers().to_props()
    failures = failures_by_property(
        hooks,
        {
            "server_id": "1",
            "url": "ftp://example.com",
            "triggers": no_triggers,
            "http_auth": {"username": "u", "password": ""},
        },
    )
    assert set(failures) == {"url", "triggers", "http_auth"}
    assert "at least one trigger" in failures["triggers"]


def test_check_refuses_basic_auth_together_with_an_authorization_header(hooks: WebhookProvider):
    props = webhook_props(
        "1",
        http_auth={"username": "u", "password": "p"},
        http_headers={"authorization": "Bearer x"},
    )
    assert set(failures_by_property(hooks, props)) == {"http_headers"}


def test_check_fills_default_stream_and_normalizes_server_id(hooks: WebhookProvider):
    inputs = hooks.check({}, webhook_props(12.0, message_stream=None)).inputs  # type: ignore[arg-type]
    assert inputs["server_id"] == "12" and inputs["message_stream"] == "outbound"


def test_concurrent_operations_on_one_provider_use_each_servers_own_token(
    fake_postmark: FakePostmark, hooks: WebhookProvider
):
    # Pulumi runs provider operations on a thread pool: no token may leak between them.
    server_ids = [str(fake_postmark.add_server(f"acme-prod-par-{i}")["ID"]) for i in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        created = list(pool.map(lambda sid: create(hooks, webhook_props(sid)), server_ids))
    live = fake_postmark.webhooks
    for server_id, (hook_id, outs) in zip(server_ids, created, strict=True):
        assert live[int(hook_id)]["ServerID"] == int(server_id)
        assert outs["server_id"] == server_id
