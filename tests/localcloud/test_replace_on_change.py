"""What a change does to each resource, as a `pulumi preview` would show it: replace or update.

The diff needs no API, so these run against the provider alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.runtime.rpc import UNKNOWN

from tests.localcloud.harness import (
    ACCOUNT_ID,
    CONSUMER,
    D1,
    DEPLOYMENT,
    DISPATCH,
    DOMAIN,
    KV,
    QUEUE,
    SCRIPT,
    STORE,
    STORE_ID,
    STORE_ITEM,
    VERSION,
    WORKER,
    ZONE_ID,
    Deployed,
    ProviderHarness,
    module_js,
    write_bundle,
)
from tools.localcloud.cloudflare import replace_on_change
from tools.localcloud.cloudflare.props import plain_map, to_properties
from tools.localcloud.cloudflare.provider import CloudflareProvider
from tools.localcloud.cloudflare.resources import RESOURCE_TYPES

OTHER_ACCOUNT = "f" * 32
SHA = "a" * 64

# One valid set of inputs per type: the starting point of every change below.
BASE: dict[str, dict] = {
    KV: {"title": "mail-state"},
    D1: {"name": "mail-metadata", "primaryLocationHint": "weur",
         "readReplication": {"mode": "disabled"}},
    QUEUE: {"queueName": "mail-outbox"},
    CONSUMER: {"queueId": "b" * 32, "type": "worker", "scriptName": "mail-worker",
               "deadLetterQueue": "mail-outbox-dlq", "settings": {"batchSize": 10}},
    STORE: {"name": "default"},
    STORE_ITEM: {"storeId": STORE_ID, "name": "RESEND_API_KEY", "scopes": ["workers"],
                 "value": "v1"},
    DISPATCH: {"name": "tenants"},
    SCRIPT: {"scriptName": "mail-worker", "content": "export default {}", "mainModule": "index.js",
             "compatibilityDate": "2025-09-01"},
    DOMAIN: {"hostname": "mail.bookmarks.example.com", "service": "mail-worker",
             "zoneId": ZONE_ID},
    WORKER: {"name": "api", "logpush": False},
    VERSION: {"workerId": "c" * 32, "compatibilityDate": "2025-09-01", "mainModule": "index.js",
              "modules": [{"name": "index.js", "contentType": "application/javascript+module",
                           "contentBase64": "ZXhwb3J0IGRlZmF1bHQge30="}]},
    DEPLOYMENT: {"scriptName": "api", "strategy": "percentage",
                 "versions": [{"versionId": "d" * 32, "percentage": 100}]},
}  # fmt: skip


@pytest.fixture
def provider(tmp_path: Path) -> ProviderHarness:
    return ProviderHarness(CloudflareProvider(cwd=tmp_path))


def deployed(provider: ProviderHarness, pulumi_type: str, inputs: dict) -> Deployed:
    """A resource as state holds it after an up with these inputs."""
    checked = provider.check(pulumi_type, inputs, secret={"value"})
    assert not checked.failures, [(f.property, f.reason) for f in checked.failures]
    return Deployed(pulumi_type, "id-1", {**checked.inputs, **to_properties({"id": "id-1"}, ())})


def change(provider: ProviderHarness, pulumi_type: str, **changed) -> tuple[list, list]:
    """(changed properties, properties that replace) when BASE changes by `changed`."""
    before = {"accountId": ACCOUNT_ID, **BASE[pulumi_type]}
    after = {k: v for k, v in {**before, **changed}.items() if v is not None}
    diff = provider.diff(deployed(provider, pulumi_type, before), after, secret={"value"})
    return sorted(diff.diffs), sorted(diff.replaces)


def test_every_served_type_has_a_row_in_the_table():
    assert set(replace_on_change.REPLACE_ON_CHANGE) == set(RESOURCE_TYPES) == set(BASE)


def test_the_table_names_the_upstream_commit_and_schema_files():
    assert replace_on_change.UPSTREAM_TAG == "v5.22.0"
    assert len(replace_on_change.UPSTREAM_COMMIT) == 40
    for pulumi_type, rules in replace_on_change.REPLACE_ON_CHANGE.items():
        assert rules.schema.startswith("internal/services/") and rules.schema.endswith(
            "/schema.go"
        ), pulumi_type
        assert rules.properties["accountId"] == replace_on_change.ALWAYS
        assert set(rules.properties) <= set(RESOURCE_TYPES[pulumi_type].inputs), pulumi_type


@pytest.mark.parametrize("pulumi_type", sorted(BASE))
def test_moving_any_resource_to_another_account_replaces_it(provider, pulumi_type):
    assert change(provider, pulumi_type, accountId=OTHER_ACCOUNT) == (["accountId"], ["accountId"])


@pytest.mark.parametrize("pulumi_type", sorted(BASE))
def test_the_same_inputs_are_no_change(provider, pulumi_type):
    assert change(provider, pulumi_type) == ([], [])


@pytest.mark.parametrize(
    ("pulumi_type", "changed", "replaced"),
    [
        (D1, {"name": "mail-metadata-2"}, True),  # a new, empty database
        (D1, {"primaryLocationHint": "enam"}, True),
        (D1, {"jurisdiction": "eu"}, True),
        (D1, {"readReplication": {"mode": "auto"}}, False),
        (KV, {"title": "mail-state-2"}, False),  # a rename is in place
        (QUEUE, {"queueName": "mail-outbox-2"}, False),
        (QUEUE, {"settings": {"deliveryDelay": 5}}, False),
        (CONSUMER, {"queueId": "e" * 32}, True),
        (CONSUMER, {"scriptName": "other-worker"}, False),
        (CONSUMER, {"deadLetterQueue": "other-dlq"}, False),
        (CONSUMER, {"settings": {"batchSize": 20}}, False),
        (STORE, {"name": "renamed"}, True),
        (STORE, {"force": True}, False),
        (STORE_ITEM, {"name": "RENAMED"}, True),
        (STORE_ITEM, {"storeId": "1" * 32}, True),
        (STORE_ITEM, {"value": "v2"}, False),  # a rotation is in place
        (STORE_ITEM, {"scopes": ["ai_gateway", "workers"]}, False),
        (DISPATCH, {"name": "tenants-2"}, True),  # and every tenant script with it
        (SCRIPT, {"scriptName": "mail-worker-2"}, True),
        (SCRIPT, {"content": "export default { fetch() {} }"}, False),
        (SCRIPT, {"compatibilityDate": "2025-10-01"}, False),
        (SCRIPT, {"bindings": [{"name": "X", "type": "plain_text", "text": "y"}]}, False),
        (DOMAIN, {"hostname": "other.bookmarks.example.com"}, True),
        (DOMAIN, {"service": "other-worker"}, True),
        (DOMAIN, {"zoneId": "2" * 32}, True),
        (WORKER, {"name": "api-2"}, False),  # a rename keeps the Worker's id
        (WORKER, {"logpush": True}, False),
        (VERSION, {"compatibilityDate": "2025-10-01"}, True),
        (VERSION, {"mainModule": "main.js"}, True),
        (VERSION, {"compatibilityFlags": ["nodejs_compat"]}, True),
        (VERSION, {"bindings": [{"name": "X", "type": "plain_text", "text": "y"}]}, True),
        (DEPLOYMENT, {"versions": [{"versionId": "d" * 32, "percentage": 50},
                                   {"versionId": "9" * 32, "percentage": 50}]}, True),
        (DEPLOYMENT, {"annotations": {"workersMessage": "roll out"}}, True),
        (DEPLOYMENT, {"scriptName": "api-2"}, True),
    ],
    ids=lambda v: v.split("/")[-1].split(":")[-1] if isinstance(v, str) else str(v),
)  # fmt: skip
def test_what_a_change_does(provider, pulumi_type, changed, replaced):
    diffs, replaces = change(provider, pulumi_type, **changed)
    assert diffs == sorted(changed)
    assert replaces == (sorted(changed) if replaced else [])


def test_dropping_a_value_that_replaces_only_if_configured_updates_in_place(provider):
    """RequiresReplaceIfConfigured: a custom domain's zone can be dropped (the API finds it)."""
    assert change(provider, DOMAIN, zoneId=None) == ([], [])  # computed-optional: no change
    assert change(provider, DEPLOYMENT, annotations=None) == ([], [])


def test_an_unknown_value_in_a_replacing_property_previews_as_a_replace(provider):
    """During preview the D1 name might come from another resource's output."""
    assert change(provider, D1, name=UNKNOWN) == (["name"], ["name"])
    assert change(provider, KV, title=UNKNOWN) == (["title"], [])


def test_a_version_module_moved_but_unchanged_updates_in_place(provider, tmp_path: Path):
    """Modules replace only through their name, content type or content hash."""
    write_bundle(tmp_path, "dist/index.js", module_js())
    write_bundle(tmp_path, "build/index.js", module_js())
    module = {"name": "index.js", "contentType": "application/javascript+module"}
    base = {"accountId": ACCOUNT_ID, "workerId": "c" * 32, "mainModule": "index.js"}
    state = deployed(
        provider, VERSION, {**base, "modules": [{**module, "contentFile": "dist/index.js"}]}
    )
    moved = {**base, "modules": [{**module, "contentFile": "build/index.js"}]}
    diff = provider.diff(state, moved)
    assert (diff.diffs, diff.replaces) == (["modules"], [])
    write_bundle(tmp_path, "build/index.js", module_js() + b"// changed\n")
    assert provider.diff(state, moved).replaces == ["modules"]


def test_set_valued_inputs_compare_without_order(provider):
    """compatibilityFlags and modules are sets upstream: reordering them is no change."""
    flags = {**BASE[VERSION], "accountId": ACCOUNT_ID, "compatibilityFlags": ["a", "b"]}
    state = deployed(provider, VERSION, flags)
    assert provider.diff(state, {**flags, "compatibilityFlags": ["b", "a"]}).changes is False
    # The same module with its keys in another order (as state hands it back) is no change.
    (module,) = plain_map(state.outputs)["modules"]
    reordered = {**flags, "modules": [dict(reversed(list(module.items())))]}
    assert provider.diff(state, reordered).changes is False


def test_a_version_binding_with_no_secret_text_in_state_is_no_change(provider):
    """Upstream ignores a secret text state does not hold (after an import)."""
    base = {**BASE[VERSION], "accountId": ACCOUNT_ID}
    state = {**plain_map(deployed(provider, VERSION, base).outputs),
             "bindings": [{"name": "T", "type": "secret_text"}]}  # fmt: skip
    imported = Deployed(VERSION, "id-1", to_properties(state, ()))
    configured = {**base, "bindings": [{"name": "T", "type": "secret_text", "text": "s"}]}
    assert provider.diff(imported, configured).changes is False
