"""The replace-on-change and stateful tables against the providers they describe."""

from __future__ import annotations

import importlib

import pytest

from plan.replace_rules import REPLACE_ON_CHANGE, is_stateful, replace_keys
from tests.plan_diff.builders import D1, KV, MAIL_DNS, QUEUE, RECORD, SCRIPT, resource

POSTMARK = {
    "Server": ("server", "ServerProvider"),
    "Domain": ("domain", "DomainProvider"),
    "MessageStream": ("message_stream", "MessageStreamProvider"),
    "Webhook": ("webhook", "WebhookProvider"),
    "DomainVerification": ("domain_verification", "DomainVerificationProvider"),
}


@pytest.mark.parametrize("name", sorted(POSTMARK))
def test_postmark_rows_match_what_each_dynamic_provider_replaces_on(name):
    module_name, provider_name = POSTMARK[name]
    module = importlib.import_module(f"components.mail.postmark.{module_name}")
    provider = getattr(module, provider_name)()

    replaced = set()
    for key in module._NORMALIZERS:  # every input the provider compares
        replaced |= set(provider.diff("id", {}, {key: True}).replaces or [])

    assert replaced == set(REPLACE_ON_CHANGE[f"pulumi-python:dynamic/postmark:{name}"])


def test_every_cloudflare_type_replaces_on_account_id_and_others_do_not():
    assert replace_keys(D1) == {"accountId", "name", "primaryLocationHint", "jurisdiction"}
    assert replace_keys(KV) == {"accountId"}  # a title rename is in place
    assert replace_keys(SCRIPT) == {"accountId", "scriptName"}
    assert replace_keys(RECORD) == {"zoneId", "name"}


def test_stateful_types():
    mail_dns = resource(MAIL_DNS, "mail-dns")
    assert is_stateful(resource(QUEUE, "mail-outbox-dlq"))
    assert is_stateful(resource(RECORD, "mail-dns-dkim", parent=mail_dns))
    assert not is_stateful(resource(RECORD, "www"))
    assert not is_stateful(resource(SCRIPT, "auth"))
    assert not is_stateful(mail_dns)  # components hold no data themselves
