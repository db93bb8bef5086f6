"""DomainProvider and DomainVerificationProvider against the fake."""

from __future__ import annotations

import time

import pytest

from components.mail.postmark.domain import DomainProvider, PostmarkDomainArgs
from components.mail.postmark.domain_verification import (
    DomainNotVerifiedError,
    DomainVerificationProvider,
    PostmarkDomainVerificationArgs,
)
from components.mail.postmark.errors import PostmarkError
from components.mail.postmark.provider_base import ConnectionSettings
from tests.postmark.helpers import checked, create, failures_by_property
from tools.localcloud.postmark_server import FakePostmark

DOMAIN = "mail.bookmarks.example.com"
RETURN_PATH = f"pm-bounces.{DOMAIN}"


@pytest.fixture
def domains(connection: ConnectionSettings) -> DomainProvider:
    return DomainProvider(connection)


@pytest.fixture
def verifications(connection: ConnectionSettings) -> DomainVerificationProvider:
    return DomainVerificationProvider(connection)


def domain_props(**overrides) -> dict:
    args = PostmarkDomainArgs(name=DOMAIN, return_path_domain=RETURN_PATH)
    return {**args.to_props(), **overrides}


def verification_props(domain_outs: dict, **overrides) -> dict:
    args = PostmarkDomainVerificationArgs(
        domain_id=domain_outs["domain_id"],
        dkim_host=domain_outs["dkim_host"],
        dkim_text_value=domain_outs["dkim_text_value"],
        return_path_domain=domain_outs["return_path_domain"],
        return_path_cname_value=domain_outs["return_path_cname_value"],
        timeout_seconds=2.0,
        poll_interval_seconds=0.02,
    )
    return {**args.to_props(), **overrides}


def test_new_domain_outputs_the_pending_dkim_record(fake_postmark: FakePostmark, domains):
    domain_id, outs = create(domains, domain_props())
    live = fake_postmark.domains[int(domain_id)]
    assert outs["domain_id"] == domain_id
    assert outs["dkim_host"] == live["DKIMPendingHost"] != ""
    assert outs["dkim_host"].endswith(f"pm._domainkey.{DOMAIN}")
    assert outs["dkim_text_value"] == live["DKIMPendingTextValue"]
    assert outs["dkim_text_value"].startswith("k=rsa; p=MIGf")  # 1024-bit shaped
    assert outs["return_path_cname_value"] == "pm.mtasv.net"
    assert outs["return_path_domain"] == RETURN_PATH
    assert (outs["dkim_verified"], outs["return_path_verified"]) == (False, False)


def test_2048_bit_dkim_values_pass_through_whole(fake_postmark: FakePostmark, domains):
    fake_postmark.dkim_key_bits = 2048
    _, outs = create(domains, domain_props())
    assert outs["dkim_text_value"].startswith("k=rsa; p=MIIB")
    assert len(outs["dkim_text_value"]) > 255  # Route 53 must split it; not our job to cut it


def test_after_verification_the_active_record_is_reported(
    fake_postmark: FakePostmark, domains, verifications
):
    domain_id, outs = create(domains, domain_props())
    pending_host = outs["dkim_host"]
    verifications.create(checked(verifications, verification_props(outs)))
    refreshed = domains.read(domain_id, outs).outs
    assert refreshed["dkim_host"] == pending_host  # the pending key became the active one
    assert refreshed["dkim_verified"] is True and refreshed["return_path_verified"] is True


@pytest.mark.parametrize("style", ["422", "404"])
def test_refresh_after_out_of_band_delete_reports_gone(fake_postmark: FakePostmark, domains, style):
    domain_id, outs = create(domains, domain_props())
    fake_postmark.remove_domain(domain_id)
    fake_postmark.not_found_style = style
    result = domains.read(domain_id, outs)
    assert not result.id and result.outs == {}
    domains.delete(domain_id, outs)  # already gone: success


def test_return_path_change_is_an_update(fake_postmark: FakePostmark, domains):
    domain_id, outs = create(domains, domain_props())
    news = checked(domains, domain_props(return_path_domain=f"bounces.{DOMAIN}"))
    diff = domains.diff(domain_id, outs, news)
    assert diff.changes and diff.replaces == []
    domains.update(domain_id, outs, news)
    assert fake_postmark.domains[int(domain_id)]["ReturnPathDomain"] == f"bounces.{DOMAIN}"


def test_name_change_replaces(fake_postmark: FakePostmark, domains):
    domain_id, outs = create(domains, domain_props())
    news = checked(domains, domain_props(name="example.org", return_path_domain=None))
    assert domains.diff(domain_id, outs, news).replaces == ["name"]


def test_drift_in_return_path_shows_in_diff(fake_postmark: FakePostmark, domains):
    domain_id, outs = create(domains, domain_props())
    fake_postmark.edit_domain(domain_id, ReturnPathDomain="")  # someone edits it in the UI
    refreshed = domains.read(domain_id, outs).outs
    assert refreshed["return_path_domain"] == ""
    assert domains.diff(domain_id, refreshed, checked(domains, domain_props())).changes


def test_duplicate_domain_surfaces_512(fake_postmark: FakePostmark, domains):
    fake_postmark.add_domain(DOMAIN)
    with pytest.raises(PostmarkError) as caught:
        create(domains, domain_props())
    assert caught.value.error_code == 512 and DOMAIN in str(caught.value)


def test_create_applied_then_dropped_keeps_one_domain(fake_postmark: FakePostmark, domains):
    fake_postmark.drop_next(method="POST", path="/domains", after_apply=True)
    domain_id, _ = create(domains, domain_props())
    assert list(fake_postmark.domains) == [int(domain_id)]


def test_domain_check_names_the_bad_property(domains: DomainProvider):
    assert set(failures_by_property(domains, {"name": "not a domain"})) == {"name"}
    bad_return_path = failures_by_property(domains, domain_props(return_path_domain="pm.other.org"))
    assert set(bad_return_path) == {"return_path_domain"}


# -- verification ----------------------------------------------------------------------------------


def test_verification_succeeds_when_postmark_verifies(
    fake_postmark: FakePostmark, domains, verifications
):
    _, outs = create(domains, domain_props())
    result = verifications.create(checked(verifications, verification_props(outs)))
    assert result.id == outs["domain_id"]
    assert result.outs["dkim_verified"] is True and result.outs["return_path_verified"] is True
    assert fake_postmark.count_requests("PUT", "/domains/*/verifyDkim") == 1
    assert fake_postmark.count_requests("PUT", "/domains/*/verifyReturnPath") == 1


def test_verification_polls_until_postmark_has_checked(
    fake_postmark: FakePostmark, domains, verifications
):
    _, outs = create(domains, domain_props())
    fake_postmark.verification_delay_polls = 3
    result = verifications.create(checked(verifications, verification_props(outs)))
    assert result.outs["dkim_verified"] is True
    assert fake_postmark.count_requests("GET", f"/domains/{outs['domain_id']}") >= 4


def test_verification_timeout_names_each_record_and_value(
    fake_postmark: FakePostmark, domains, verifications
):
    _, outs = create(domains, domain_props())
    fake_postmark.dns_published = False
    started = time.monotonic()
    with pytest.raises(DomainNotVerifiedError) as caught:
        verifications.create(checked(verifications, verification_props(outs, timeout_seconds=0.3)))
    assert time.monotonic() - started < 1.5
    message = str(caught.value)
    assert outs["dkim_host"] in message and outs["dkim_text_value"] in message
    assert RETURN_PATH in message and "pm.mtasv.net" in message
    assert "SPF" not in message


def test_verification_timeout_lists_only_what_is_unverified(
    fake_postmark: FakePostmark, domains, verifications
):
    domain_id, outs = create(domains, domain_props())
    verifications.create(checked(verifications, verification_props(outs)))  # both verified
    fake_postmark.edit_domain(domain_id, ReturnPathDomainVerified=False)
    fake_postmark.dns_published = False
    with pytest.raises(DomainNotVerifiedError) as caught:
        verifications.update(
            domain_id, {}, checked(verifications, verification_props(outs, timeout_seconds=0.1))
        )
    assert "Return-Path" in str(caught.value) and "DKIM:" not in str(caught.value)


def test_verification_without_return_path_checks_dkim_only(
    fake_postmark: FakePostmark, domains, verifications
):
    _, outs = create(domains, domain_props(return_path_domain=None))
    props = verification_props(outs, return_path_domain=None)
    result = verifications.create(checked(verifications, props))
    assert result.outs["dkim_verified"] is True
    assert fake_postmark.count_requests("PUT", "/domains/*/verifyReturnPath") == 0


def test_verification_delete_changes_nothing(fake_postmark: FakePostmark, verifications):
    before = fake_postmark.count_requests()
    verifications.delete("123", {"domain_id": "123"})
    assert fake_postmark.count_requests() == before


def test_refresh_that_finds_records_unverified_makes_up_verify_again(
    fake_postmark: FakePostmark, domains, verifications
):
    domain_id, outs = create(domains, domain_props())
    news = checked(verifications, verification_props(outs))
    created = verifications.create(news)
    assert verifications.diff(domain_id, created.outs, news).changes is False
    fake_postmark.edit_domain(domain_id, ReturnPathDomainVerified=False)
    refreshed = verifications.read(domain_id, created.outs).outs
    assert verifications.diff(domain_id, refreshed, news).changes is True


def test_verification_check_rejects_bad_timeouts(verifications: DomainVerificationProvider):
    failures = failures_by_property(
        verifications,
        {"domain_id": "1", "dkim_host": "h", "dkim_text_value": "v", "timeout_seconds": 0},
    )
    assert set(failures) == {"timeout_seconds"}
