"""Inputs Cloudflare would refuse fail `check`, before a preview shows a plan; so does config
that would send the token anywhere but a local emulator."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pulumi.provider.experimental.provider import CheckRequest, ConfigureRequest
from pulumi.runtime.rpc import UNKNOWN

from tests.localcloud.harness import (
    ACCOUNT_ID,
    CONSUMER,
    D1,
    DEPLOYMENT,
    DOMAIN,
    KV,
    QUEUE,
    SCRIPT,
    STORE_ID,
    STORE_ITEM,
    VERSION,
    WORKER,
    ProviderHarness,
    module_js,
    write_bundle,
)
from tools.localcloud.cloudflare.props import to_properties
from tools.localcloud.cloudflare.provider import CloudflareProvider

TOKEN = "t" * 40


@pytest.fixture
def provider(tmp_path: Path) -> ProviderHarness:
    return ProviderHarness(CloudflareProvider(cwd=tmp_path))


def config_failures(config: dict, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    monkeypatch.delenv("CLOUDFLARE_BASE_URL", raising=False)
    request = CheckRequest("urn:pulumi:s::p::pulumi:providers:cloudflare::default", {},
                           to_properties(config, {"apiToken"}), b"")  # fmt: skip
    response = asyncio.run(CloudflareProvider().check_config(request))
    return {f.property: f.reason for f in response.failures or []}


# -- provider config --------------------------------------------------------------------------


def test_config_pointing_at_a_local_emulator_with_a_well_formed_token_passes(monkeypatch):
    config = {"apiToken": TOKEN, "baseUrl": "http://127.0.0.1:8787/client/v4"}
    assert config_failures(config, monkeypatch) == {}


@pytest.mark.parametrize("token", ["short", "x" * 81, "has spaces in it and is long enough 1234"])
def test_a_token_cloudflare_would_not_issue_fails_without_echoing_it(monkeypatch, token):
    config = {"apiToken": token, "baseUrl": "http://127.0.0.1:8787/client/v4"}
    failures = config_failures(config, monkeypatch)
    assert set(failures) == {"apiToken"} and token not in failures["apiToken"]
    assert "[0-9A-Za-z" in failures["apiToken"]


def test_a_missing_token_fails(monkeypatch):
    failures = config_failures({"baseUrl": "http://127.0.0.1:8787/client/v4"}, monkeypatch)
    assert "CLOUDFLARE_API_TOKEN" in failures["apiToken"]


def test_the_token_may_come_from_the_environment(monkeypatch):
    failures = config_failures({"baseUrl": "http://localhost:1/client/v4"}, monkeypatch)
    assert "apiToken" in failures
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    request = CheckRequest(
        "urn:pulumi:s::p::pulumi:providers:cloudflare::default",
        {},
        to_properties({"baseUrl": "http://localhost:1/client/v4"}, ()),
        b"",
    )
    assert asyncio.run(CloudflareProvider().check_config(request)).failures is None


@pytest.mark.parametrize(
    "base_url",
    ["https://api.cloudflare.com/client/v4", "http://10.0.0.8/client/v4", "ftp://127.0.0.1"],
)
def test_a_base_url_off_this_machine_is_refused(monkeypatch, base_url):
    failures = config_failures({"apiToken": TOKEN, "baseUrl": base_url}, monkeypatch)
    assert "local Cloudflare emulator" in failures["baseUrl"]
    args = to_properties({"apiToken": TOKEN, "baseUrl": base_url}, {"apiToken"})
    with pytest.raises(ValueError, match="local Cloudflare emulator"):
        asyncio.run(CloudflareProvider().configure(ConfigureRequest({}, args, True, False)))


# -- resource inputs --------------------------------------------------------------------------


def test_a_missing_required_input_fails(provider):
    assert provider.failures(KV, {"accountId": ACCOUNT_ID}) == {"title": "'title' is required"}
    failures = provider.failures(STORE_ITEM, {"accountId": ACCOUNT_ID, "storeId": STORE_ID})
    assert {"name", "scopes", "value"} <= set(failures)
    assert "accountId" in provider.failures(QUEUE, {"queueName": "q"})


def test_an_account_id_that_is_not_32_hex_fails(provider):
    failures = provider.failures(QUEUE, {"accountId": "my-account", "queueName": "q"})
    assert "32-character" in failures["accountId"]


@pytest.mark.parametrize(
    ("pulumi_type", "inputs", "prop"),
    [
        (SCRIPT, {"scriptName": "Mail_Worker", "content": "x"}, "scriptName"),
        (SCRIPT, {"scriptName": "-mail", "content": "x"}, "scriptName"),
        (SCRIPT, {"scriptName": "a" * 64, "content": "x"}, "scriptName"),
        (QUEUE, {"queueName": "mail_outbox"}, "queueName"),
        (QUEUE, {"queueName": "Mail"}, "queueName"),
        (D1, {"name": "Mail Metadata"}, "name"),
        (WORKER, {"name": "api."}, "name"),
        (STORE_ITEM, {"storeId": STORE_ID, "name": "HAS SPACE", "scopes": ["workers"],
                      "value": "v"}, "name"),
    ],
    ids=["script-case", "script-dash", "script-long", "queue-underscore", "queue-case", "d1",
         "worker", "secret"],
)  # fmt: skip
def test_an_invalid_name_fails(provider, pulumi_type, inputs, prop):
    assert prop in provider.failures(pulumi_type, {"accountId": ACCOUNT_ID, **inputs})


def test_a_wildcard_custom_domain_fails_with_cloudflares_words(provider):
    failures = provider.failures(DOMAIN, {"accountId": ACCOUNT_ID, "hostname": "*.example.com",
                                          "service": "site"})  # fmt: skip
    assert failures == {"hostname": "Wildcard operators are not allowed in Custom Domains"}


def test_unsorted_or_unknown_secret_scopes_fail(provider):
    base = {"accountId": ACCOUNT_ID, "storeId": STORE_ID, "name": "K", "value": "v"}
    unsorted = provider.failures(STORE_ITEM, {**base, "scopes": ["workers", "ai_gateway"]})
    assert "alphabetical" in unsorted["scopes"]
    assert (
        "unknown scopes" in provider.failures(STORE_ITEM, {**base, "scopes": ["email"]})["scopes"]
    )


def test_consumer_settings_outside_cloudflares_limits_fail(provider):
    inputs = {
        "accountId": ACCOUNT_ID,
        "queueId": "b" * 32,
        "type": "worker",
        "scriptName": "w",
        "settings": {
            "batchSize": 0,
            "maxRetries": 101,
            "maxWaitTimeMs": 60_001,
            "maxConcurrency": 251,
        },
    }
    failures = provider.failures(CONSUMER, inputs)  # fmt: skip
    assert set(failures) == {"settings.batchSize", "settings.maxRetries",
                             "settings.maxWaitTimeMs", "settings.maxConcurrency"}  # fmt: skip


def test_a_worker_consumer_needs_its_script(provider):
    inputs = {"accountId": ACCOUNT_ID, "queueId": "b" * 32, "type": "worker"}
    assert "scriptName" in provider.failures(CONSUMER, inputs)


def test_a_deployment_split_must_add_up_to_100(provider):
    inputs = {"accountId": ACCOUNT_ID, "scriptName": "api", "strategy": "percentage",
              "versions": [{"versionId": "a", "percentage": 60},
                           {"versionId": "b", "percentage": 30}]}  # fmt: skip
    assert "add up to 100" in provider.failures(DEPLOYMENT, inputs)["versions"]
    inputs["versions"][1]["percentage"] = 40
    assert provider.failures(DEPLOYMENT, inputs) == {}
    assert "strategy" in provider.failures(DEPLOYMENT, {**inputs, "strategy": "canary"})


def test_duplicate_binding_names_fail(provider):
    bindings = [{"name": "X", "type": "plain_text", "text": "a"},
                {"name": "X", "type": "kv_namespace", "namespaceId": "n"},
                {"name": "Y", "type": "queue"}]  # fmt: skip
    failures = provider.failures(
        SCRIPT, {"accountId": ACCOUNT_ID, "scriptName": "w", "content": "x", "bindings": bindings}
    )
    assert "more than once" in failures["bindings[1]"]
    assert "queueName" in failures["bindings[2]"]


def test_unknown_values_are_not_checked_during_preview(provider):
    assert provider.failures(QUEUE, {"accountId": UNKNOWN, "queueName": UNKNOWN}) == {}


# -- bundles ----------------------------------------------------------------------------------


def script(name: str, relative: str, digest: str) -> dict:
    return {"accountId": ACCOUNT_ID, "scriptName": name, "contentFile": relative,
            "contentSha256": digest, "mainModule": "index.js"}  # fmt: skip


def test_a_bundle_is_found_relative_to_the_plugins_working_directory(provider, tmp_path):
    digest = write_bundle(tmp_path, "bundles/mail.js", module_js())
    assert provider.failures(SCRIPT, script("mail", "bundles/mail.js", digest)) == {}


def test_a_missing_bundle_fails_naming_where_it_looked(provider, tmp_path):
    failures = provider.failures(SCRIPT, script("mail", "bundles/none.js", "0" * 64))
    assert "bundles/none.js" in failures["contentFile"]
    assert str(tmp_path / "bundles/none.js") in failures["contentFile"]


def test_a_bundle_that_does_not_match_its_hash_fails(provider, tmp_path):
    write_bundle(tmp_path, "bundles/mail.js", module_js())
    failures = provider.failures(SCRIPT, script("mail", "bundles/mail.js", "0" * 64))
    assert "SHA-256" in failures["contentFile"] and "rebuild" in failures["contentFile"]


def test_a_bundle_whose_hash_is_unknown_is_not_read_during_preview(provider):
    assert provider.failures(SCRIPT, script("mail", "bundles/unbuilt.js", UNKNOWN)) == {}


def test_content_and_content_file_conflict_and_a_file_needs_its_hash(provider, tmp_path):
    write_bundle(tmp_path, "b.js", b"x")
    both = {**script("w", "b.js", "0" * 64), "content": "x"}
    assert "not both" in provider.failures(SCRIPT, both)["contentFile"]
    no_hash = {**script("w", "b.js", "0" * 64), "contentSha256": None}
    no_hash = {k: v for k, v in no_hash.items() if v is not None}
    assert "contentSha256" in provider.failures(SCRIPT, no_hash)


def test_a_version_module_file_gets_its_hash_or_fails(provider, tmp_path):
    digest = write_bundle(tmp_path, "dist/index.js", module_js())
    module = {"name": "index.js", "contentType": "application/javascript+module",
              "contentFile": "dist/index.js"}  # fmt: skip
    inputs = {"accountId": ACCOUNT_ID, "workerId": "w", "mainModule": "index.js",
              "modules": [module]}  # fmt: skip
    checked = provider.check(VERSION, inputs)
    assert checked.failures is None
    assert checked.inputs["modules"].value[0].value["contentSha256"].value == digest
    missing = {**inputs, "modules": [{**module, "contentFile": "dist/gone.js"}]}
    assert "modules[0].contentFile" in provider.failures(VERSION, missing)
    wrong_main = {**inputs, "mainModule": "main.js"}
    assert "mainModule" in provider.failures(VERSION, wrong_main)
