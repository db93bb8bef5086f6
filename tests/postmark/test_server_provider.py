"""ServerProvider over HTTP against the fake: idempotent create, adoption, refresh, drift, diff."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from components.mail.postmark.errors import PostmarkError
from components.mail.postmark.provider_base import PROVIDER_KEY, ConnectionSettings
from components.mail.postmark.server import PostmarkServerArgs, ServerProvider
from tests.postmark.conftest import SLOWER_THAN_CLIENT
from tests.postmark.helpers import checked, create, failures_by_property
from tools.localcloud.postmark_server import FakePostmark

NAME = "acme-prod-example-bookmarks-mail"


def server_props(**overrides) -> dict:
    return {**PostmarkServerArgs(name=NAME).to_props(), **overrides}


@pytest.fixture
def provider(connection: ConnectionSettings) -> ServerProvider:
    return ServerProvider(connection)


POST_SERVERS = {"method": "POST", "path": "/servers"}
FAULTS: dict[str, Callable[[FakePostmark], None]] = {
    "429 burst": lambda f: f.fail_next(429, error_code=429, times=3, **POST_SERVERS),
    "500": lambda f: f.fail_next(500, times=2, **POST_SERVERS),
    "503": lambda f: f.fail_next(503, error_code=100, times=2, **POST_SERVERS),
    "slow answer, applied": lambda f: f.slow_next(SLOWER_THAN_CLIENT, **POST_SERVERS),
    "slow answer, not applied": lambda f: f.slow_next(
        SLOWER_THAN_CLIENT, after_apply=False, **POST_SERVERS
    ),
    "dropped connection": lambda f: f.drop_next(**POST_SERVERS),
    "applied then dropped": lambda f: f.drop_next(after_apply=True, **POST_SERVERS),
}


@pytest.mark.parametrize("inject", FAULTS.values(), ids=FAULTS.keys())
def test_create_under_faults_leaves_exactly_one_server(
    fake_postmark: FakePostmark, provider: ServerProvider, inject
):
    inject(fake_postmark)
    server_id, outs = create(provider, server_props())
    servers = fake_postmark.servers
    assert list(servers) == [int(server_id)]
    assert servers[int(server_id)]["Name"] == NAME
    assert outs["server_id"] == server_id and outs["name"] == NAME
    assert fake_postmark.pending_faults == []  # the fault really happened


def test_create_sends_smtp_activation_explicitly(fake_postmark: FakePostmark, provider):
    server_id, outs = create(provider, server_props())
    assert fake_postmark.servers[int(server_id)]["SmtpApiActivated"] is True  # fake defaults off
    assert outs["smtp_api_activated"] is True
    assert outs["api_tokens"] == fake_postmark.servers[int(server_id)]["ApiTokens"]
    assert outs["inbound_address"].endswith("@inbound.postmarkapp.com")


def test_create_sends_declared_settings(fake_postmark: FakePostmark, provider):
    props = server_props(
        color="Red",
        track_links="HtmlOnly",
        track_opens=True,
        inbound_spam_threshold=15.0,  # Pulumi passes numbers as floats
        bounce_hook_url="https://hooks.example.com/bounce",
        raw_email_enabled=True,
        delivery_type="sandbox",
    )
    server_id, outs = create(provider, props)
    live = fake_postmark.servers[int(server_id)]
    assert (live["Color"], live["TrackLinks"], live["TrackOpens"]) == ("red", "HtmlOnly", True)
    assert live["InboundSpamThreshold"] == 15 and live["DeliveryType"] == "Sandbox"
    assert live["BounceHookUrl"] == "https://hooks.example.com/bounce"
    assert live["RawEmailEnabled"] is True


def test_unauthorized_create_is_not_retried_and_names_the_variable(
    fake_postmark: FakePostmark, provider, monkeypatch: pytest.MonkeyPatch
):
    wrong = "fake-account-token-not-the-right-one-42"
    monkeypatch.setenv("POSTMARK_ACCOUNT_TOKEN", wrong)
    with pytest.raises(PostmarkError) as caught:
        create(provider, server_props())
    assert fake_postmark.count_requests() == 1
    message = str(caught.value)
    assert caught.value.http_status == 401 and "POSTMARK_ACCOUNT_TOKEN" in message
    assert NAME in message  # which resource
    assert wrong not in message
    assert fake_postmark.servers == {}


@pytest.mark.parametrize(
    ("code", "hint"),
    [(602, "inbound domain"), (606, "URL"), (610, "MX record"), (611, "steps of 5")],
)
def test_api_errors_surface_with_their_code_and_guidance(
    fake_postmark: FakePostmark, provider, code: int, hint: str
):
    fake_postmark.fail_next(422, error_code=code, **POST_SERVERS)
    with pytest.raises(PostmarkError) as caught:
        create(provider, server_props())
    assert caught.value.error_code == code
    assert f"ErrorCode {code}" in str(caught.value) and hint in str(caught.value)
    assert fake_postmark.count_requests(**POST_SERVERS) == 1


def test_duplicate_inbound_domain_is_reported_by_the_fake_with_602(
    fake_postmark: FakePostmark, provider
):
    fake_postmark.add_server("someone-else", InboundDomain="in.example.com")
    with pytest.raises(PostmarkError) as caught:
        create(provider, server_props(inbound_domain="in.example.com"))
    assert caught.value.error_code == 602


def test_existing_name_without_adopt_is_a_clear_error(fake_postmark: FakePostmark, provider):
    existing = fake_postmark.add_server(NAME)
    with pytest.raises(PostmarkError) as caught:
        create(provider, server_props())
    message = str(caught.value)
    assert caught.value.error_code == 603
    assert NAME in message and str(existing["ID"]) in message and "adopt=True" in message
    assert len(fake_postmark.servers) == 1


def test_existing_name_with_adopt_takes_it_over_and_applies_settings(
    fake_postmark: FakePostmark, provider
):
    fake_postmark.add_server(f"{NAME}-other")  # substring match must not be adopted
    existing = fake_postmark.add_server(NAME, Color="blue")
    server_id, outs = create(provider, server_props(adopt=True, color="Green"))
    assert server_id == str(existing["ID"])
    assert fake_postmark.servers[existing["ID"]]["Color"] == "green"
    assert fake_postmark.servers[existing["ID"]]["SmtpApiActivated"] is True
    assert len(fake_postmark.servers) == 2 and outs["adopt"] is True


def test_adopting_with_another_delivery_type_is_refused(fake_postmark: FakePostmark, provider):
    fake_postmark.add_server(NAME, DeliveryType="Sandbox")
    with pytest.raises(PostmarkError, match="delivery_type='Sandbox'"):
        create(provider, server_props(adopt=True))


def test_name_taken_in_another_case_is_explained(fake_postmark: FakePostmark, provider):
    fake_postmark.add_server(NAME.upper())
    with pytest.raises(PostmarkError, match="differing only in case"):
        create(provider, server_props(adopt=True))


@pytest.mark.parametrize("style", ["422", "404"])
def test_refresh_after_out_of_band_delete_reports_gone(
    fake_postmark: FakePostmark, provider, style
):
    server_id, outs = create(provider, server_props())
    fake_postmark.remove_server(server_id)
    fake_postmark.not_found_style = style
    result = provider.read(server_id, outs)
    assert not result.id and result.outs == {}


@pytest.mark.parametrize("style", ["422", "404"])
def test_delete_of_a_missing_server_succeeds(fake_postmark: FakePostmark, provider, style):
    fake_postmark.not_found_style = style
    provider.delete("424242", server_props())
    assert fake_postmark.count_requests("DELETE", "/servers/424242") == 1


def test_delete_removes_the_server(fake_postmark: FakePostmark, provider):
    server_id, outs = create(provider, server_props())
    provider.delete(server_id, outs)
    assert fake_postmark.servers == {}


def test_delete_without_permission_explains_604(fake_postmark: FakePostmark, provider):
    server_id, outs = create(provider, server_props())
    fake_postmark.server_deletion_enabled = False
    with pytest.raises(PostmarkError) as caught:
        provider.delete(server_id, outs)
    assert caught.value.error_code == 604 and "Postmark support" in str(caught.value)
    assert NAME in str(caught.value)
    assert int(server_id) in fake_postmark.servers


def test_drift_shows_in_read_outputs_and_in_diff(fake_postmark: FakePostmark, provider):
    declared = server_props(color="Red", track_opens=True)
    server_id, _ = create(provider, declared)
    fake_postmark.edit_server(server_id, Color="Orange", TrackOpens=False)
    refreshed = provider.read(server_id, declared)
    assert refreshed.id == server_id
    assert refreshed.outs["color"] == "orange" and refreshed.outs["track_opens"] is False
    diff = provider.diff(server_id, refreshed.outs, checked(provider, declared))
    assert diff.changes and diff.replaces == []


def test_no_drift_means_no_diff(fake_postmark: FakePostmark, provider):
    declared = server_props(color="Red", inbound_spam_threshold=10)
    server_id, outs = create(provider, declared)
    refreshed = provider.read(server_id, declared).outs
    assert provider.diff(server_id, refreshed, checked(provider, declared)).changes is False
    assert provider.diff(server_id, outs, checked(provider, declared)).changes is False


def test_update_renames_and_changes_settings_in_place(fake_postmark: FakePostmark, provider):
    server_id, outs = create(provider, server_props())
    news = checked(provider, server_props(name=f"{NAME}-2", track_links="TextOnly"))
    diff = provider.diff(server_id, outs, news)
    assert diff.changes and diff.replaces == []
    result = provider.update(server_id, outs, news)
    live = fake_postmark.servers[int(server_id)]
    assert live["Name"] == f"{NAME}-2" and live["TrackLinks"] == "TextOnly"
    assert result.outs["name"] == f"{NAME}-2" and result.outs["server_id"] == server_id
    assert "DeliveryType" not in fake_postmark.requests[-1].body  # create-only field


def test_delivery_type_change_replaces_deleting_first(fake_postmark: FakePostmark, provider):
    server_id, outs = create(provider, server_props())
    diff = provider.diff(server_id, outs, checked(provider, server_props(delivery_type="Sandbox")))
    assert diff.changes and diff.replaces == ["delivery_type"]
    assert diff.delete_before_replace is True  # same name cannot exist twice


def test_delivery_type_change_with_a_new_name_creates_first(fake_postmark: FakePostmark, provider):
    server_id, outs = create(provider, server_props())
    news = checked(provider, server_props(delivery_type="Sandbox", name="other-name"))
    diff = provider.diff(server_id, outs, news)
    assert diff.replaces == ["delivery_type"] and not diff.delete_before_replace


def test_diff_ignores_outputs_provider_key_and_unmanaged_fields(
    fake_postmark: FakePostmark, provider
):
    server_id, outs = create(provider, server_props(color="red"))
    news = checked(provider, server_props(color="RED"))  # color compares case-insensitively
    olds = {**outs, "api_tokens": ["rotated"], "server_link": "x", PROVIDER_KEY: "old-code"}
    olds["track_opens"] = True  # not declared: Postmark's value is left alone
    assert provider.diff(server_id, olds, news).changes is False


def test_diff_with_unknown_values_during_preview(provider: ServerProvider):
    from pulumi.runtime.rpc import UNKNOWN

    olds = {**server_props(), "delivery_type": "Live", "smtp_api_activated": True}
    diff = provider.diff("1", olds, {**olds, "delivery_type": UNKNOWN})
    assert diff.changes and diff.replaces == ["delivery_type"]


def test_check_reports_each_bad_input_by_property(provider: ServerProvider):
    failures = failures_by_property(
        provider,
        server_props(
            name="",
            color="Pink",
            delivery_type="Test",
            track_links="Everything",
            inbound_spam_threshold=7,
            open_hook_url="ftp://x",
            track_opens="yes",
        ),
    )
    assert set(failures) == {
        "name",
        "color",
        "delivery_type",
        "track_links",
        "inbound_spam_threshold",
        "open_hook_url",
        "track_opens",
    }
    assert "steps of 5" in failures["inbound_spam_threshold"]


def test_check_fills_defaults_and_canonical_spelling(provider: ServerProvider):
    props = {"name": NAME, "color": "grey", "track_links": "htmlandtext"}
    inputs = provider.check({}, props).inputs
    assert inputs["delivery_type"] == "Live" and inputs["smtp_api_activated"] is True
    assert inputs["adopt"] is False
    assert (inputs["color"], inputs["track_links"]) == ("Grey", "HtmlAndText")
