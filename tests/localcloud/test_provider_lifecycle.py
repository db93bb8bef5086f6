"""The provider's methods, called as the engine calls them, against the emulator.

For each type: create answers Cloudflare-like ids and the output names the program reads, a
refresh of an untouched resource changes nothing, the same inputs diff to no change (a second
`pulumi preview` is empty), an update lands in the emulator, and a delete removes it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pulumi.provider.experimental.provider import UpdateRequest
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
    ZONE_NAME,
    Deployed,
    Emulator,
    ProviderHarness,
    module_js,
    unique,
    urn,
    write_bundle,
)
from tools.localcloud.cloudflare.props import plain_map

HEX32 = re.compile(r"^[0-9a-f]{32}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def assert_stable(provider: ProviderHarness, resource: Deployed, inputs: dict) -> None:
    """A refresh sees no drift, and the program's same inputs diff to nothing."""
    refreshed = provider.read(resource)
    assert refreshed is not None
    assert refreshed.plain == resource.plain
    assert provider.diff(refreshed, inputs).changes is False


def test_kv_namespace(provider: ProviderHarness, emulator: Emulator):
    inputs = {"accountId": ACCOUNT_ID, "title": unique("mail-state")}
    kv = provider.create(KV, inputs)
    assert HEX32.match(kv.id) and kv.plain["id"] == kv.id
    assert kv.plain["title"] == inputs["title"] and kv.plain["supportsUrlEncoding"] is True
    assert_stable(provider, kv, inputs)
    renamed = provider.update(kv, {**inputs, "title": inputs["title"] + "-2"})
    assert {n["title"] for n in emulator.account_state()["kv_namespaces"]} >= {
        inputs["title"] + "-2"
    }
    provider.delete(renamed)
    assert kv.id not in {n["id"] for n in emulator.account_state()["kv_namespaces"]}
    assert provider.read(renamed) is None  # a refresh drops what is gone


def test_d1_database(provider: ProviderHarness, emulator: Emulator):
    inputs = {
        "accountId": ACCOUNT_ID,
        "name": unique("mail-metadata"),
        "primaryLocationHint": "weur",
        "readReplication": {"mode": "disabled"},
    }
    db = provider.create(D1, inputs)
    assert UUID.match(db.id) and db.plain["uuid"] == db.id
    assert {"createdAt", "version", "numTables", "fileSize"} <= set(db.plain)
    assert_stable(provider, db, inputs)
    updated = provider.update(db, {**inputs, "readReplication": {"mode": "auto"}})
    (stored,) = [d for d in emulator.account_state()["d1_databases"] if d["uuid"] == db.id]
    assert stored["read_replication"] == {"mode": "auto"}
    provider.delete(updated)


def test_d1_without_read_replication_drifts_and_its_update_is_refused(
    provider: ProviderHarness,
):
    """cf-tf #6309, reproduced: the omitted value is refreshed from the API, and the update
    that follows sends null, which the API refuses."""
    inputs = {"accountId": ACCOUNT_ID, "name": unique("db")}
    refreshed = provider.read(provider.create(D1, inputs))
    assert refreshed.plain["readReplication"] == {"mode": "disabled"}
    assert provider.diff(refreshed, inputs).changes is True
    with pytest.raises(Exception, match="7400"):
        provider.update(refreshed, inputs)


def test_queue_and_consumer(provider: ProviderHarness, emulator: Emulator, tmp_path: Path):
    queue_inputs = {"accountId": ACCOUNT_ID, "queueName": unique("mail-outbox")}
    dlq_inputs = {"accountId": ACCOUNT_ID, "queueName": unique("mail-outbox-dlq")}
    queue, dlq = provider.create(QUEUE, queue_inputs), provider.create(QUEUE, dlq_inputs)
    assert HEX32.match(queue.id) and queue.plain["queueId"] == queue.id
    assert queue.plain["queueName"] == queue_inputs["queueName"]
    script = _script(provider, tmp_path, unique("mail-worker"), code=module_js("queue"))
    consumer_inputs = {
        "accountId": ACCOUNT_ID,
        "queueId": queue.id,
        "type": "worker",
        "scriptName": script.plain["scriptName"],
        "deadLetterQueue": dlq.plain["queueName"],
        "settings": {"batchSize": 10, "maxConcurrency": 5, "maxRetries": 5,
                     "maxWaitTimeMs": 5000, "retryDelay": 30},
    }  # fmt: skip
    consumer = provider.create(CONSUMER, consumer_inputs)
    # pulumi-cloudflare's id for a consumer is the account id; consumerId is its own.
    assert consumer.id == ACCOUNT_ID and HEX32.match(consumer.plain["consumerId"])
    assert consumer.plain["queueName"] == queue_inputs["queueName"]
    assert_stable(provider, consumer, consumer_inputs)
    assert provider.read(queue).plain["consumersTotalCount"] == 1
    retried = {**consumer_inputs, "settings": {**consumer_inputs["settings"], "maxRetries": 7}}
    provider.update(consumer, retried)
    (stored,) = [
        c for c in emulator.account_state()["consumers"]
        if c["consumer_id"] == consumer.plain["consumerId"]
    ]  # fmt: skip
    assert stored["settings"]["max_retries"] == 7
    with pytest.raises(Exception, match="has consumers"):
        provider.delete(queue)
    provider.delete(consumer)
    provider.delete(queue)
    provider.delete(dlq)


def test_secrets_store_and_secret(provider: ProviderHarness, emulator: Emulator):
    store_inputs = {"accountId": ACCOUNT_ID, "name": unique("store")}
    store = provider.create(STORE, store_inputs)
    assert HEX32.match(store.id) and {"created", "modified"} <= set(store.plain)
    assert_stable(provider, store, store_inputs)
    secret_inputs = {
        "accountId": ACCOUNT_ID,
        "storeId": STORE_ID,
        "name": unique("RESEND_API_KEY").upper().replace("-", "_"),
        "scopes": ["workers"],
        "value": "first-value",
    }
    secret = provider.create(STORE_ITEM, secret_inputs, secret={"value"})
    assert HEX32.match(secret.id) and secret.plain["status"] == "active"
    assert secret.outputs["value"].is_secret
    assert_stable(provider, secret, secret_inputs)
    rotated = provider.update(secret, {**secret_inputs, "value": "second-value"}, secret={"value"})
    assert rotated.outputs["value"].is_secret and rotated.plain["value"] == "second-value"
    provider.delete(rotated)
    provider.delete(store)
    assert secret.id not in {s["id"] for s in emulator.account_state()["secrets"]}


def test_dispatch_namespace(provider: ProviderHarness):
    inputs = {"accountId": ACCOUNT_ID, "name": unique("tenants")}
    namespace = provider.create(DISPATCH, inputs)
    # Upstream's id is the namespace name; namespaceId is its UUID.
    assert namespace.id == inputs["name"] and UUID.match(namespace.plain["namespaceId"])
    assert namespace.plain["namespaceName"] == inputs["name"]
    assert_stable(provider, namespace, inputs)
    provider.delete(namespace)


def _script(provider: ProviderHarness, cwd: Path, name: str, code: bytes | None = None, **extra):
    relative = f"bundles/{name}.js"
    digest = write_bundle(cwd, relative, code or module_js())
    return provider.create(SCRIPT, _script_inputs(name, relative, digest, **extra))


def _script_inputs(name: str, relative: str, digest: str, **extra) -> dict:
    return {
        "accountId": ACCOUNT_ID,
        "scriptName": name,
        "contentFile": relative,
        "contentSha256": digest,
        "mainModule": "index.js",
        "compatibilityDate": "2025-09-01",
        "compatibilityFlags": ["nodejs_compat"],
        **extra,
    }


def test_workers_script_uploads_the_bundle_from_its_relative_path(
    provider: ProviderHarness, emulator: Emulator, tmp_path: Path
):
    name = unique("bookmarks-mail-worker")
    digest = write_bundle(tmp_path, f"bundles/{name}.js", module_js())
    kv = provider.create(KV, {"accountId": ACCOUNT_ID, "title": unique("kv")})
    inputs = _script_inputs(
        name,
        f"bundles/{name}.js",
        digest,
        bindings=[
            {"name": "LOG_LEVEL", "type": "plain_text", "text": "debug"},
            {"name": "MAIL_STATE", "type": "kv_namespace", "namespaceId": kv.id},
        ],
    )
    script = provider.create(SCRIPT, inputs)
    assert script.id == name and script.plain["scriptName"] == name
    assert {"etag", "createdOn", "modifiedOn", "handlers"} <= set(script.plain)
    (stored,) = [s for s in emulator.account_state()["scripts"] if s["id"] == name]
    assert stored["content_sha256"] == digest
    assert_stable(provider, script, inputs)

    new_code = module_js("fetch") + b"// v2\n"
    new_digest = write_bundle(tmp_path, f"bundles/{name}.js", new_code)
    changed = {**inputs, "contentSha256": new_digest}
    diff = provider.diff(script, changed)
    assert diff.diffs == ["contentSha256"] and diff.replaces == []
    provider.update(script, changed)
    (stored,) = [s for s in emulator.account_state()["scripts"] if s["id"] == name]
    assert stored["content_sha256"] == new_digest
    provider.delete(script)
    assert name not in {s["id"] for s in emulator.account_state()["scripts"]}


def test_a_script_without_bindings_refreshes_to_no_change(provider: ProviderHarness, tmp_path):
    script = _script(provider, tmp_path, unique("bare"))
    assert "bindings" not in script.plain
    assert_stable(provider, script, plain_map(script.inputs))


def test_a_script_changed_out_of_band_shows_as_drift(
    provider: ProviderHarness, emulator: Emulator, tmp_path: Path
):
    name = unique("drifting")
    script = _script(provider, tmp_path, name)
    emulator.upload(name, module_js("fetch") + b"// hotfix\n", compatibility_date="2025-09-01")
    refreshed = provider.read(script)
    assert refreshed.plain["contentSha256"] != script.plain["contentSha256"]
    assert provider.diff(refreshed, provider_inputs(script)).changes is True


def provider_inputs(resource: Deployed) -> dict:
    return plain_map(resource.inputs)


def test_custom_domain(provider: ProviderHarness, tmp_path: Path):
    service = _script(provider, tmp_path, unique("site")).plain["scriptName"]
    inputs = {
        "accountId": ACCOUNT_ID,
        "hostname": f"{unique('app')}.{ZONE_NAME}",
        "service": service,
        "zoneId": ZONE_ID,
    }
    domain = provider.create(DOMAIN, inputs)
    assert HEX32.match(domain.id) and domain.plain["zoneName"] == ZONE_NAME
    assert HEX32.match(domain.plain["certId"])
    assert_stable(provider, domain, inputs)
    provider.delete(domain)


def test_worker_version_and_deployment(provider: ProviderHarness, tmp_path: Path):
    name = unique("api")
    worker_inputs = {"accountId": ACCOUNT_ID, "name": name, "subdomain": {"enabled": True}}
    worker = provider.create(WORKER, worker_inputs)
    assert HEX32.match(worker.id) and worker.plain["name"] == name
    assert_stable(provider, worker, worker_inputs)

    write_bundle(tmp_path, "dist/index.js", module_js())
    version_inputs = {
        "accountId": ACCOUNT_ID,
        "workerId": worker.id,
        "compatibilityDate": "2025-09-01",
        "mainModule": "index.js",
        "modules": [{"name": "index.js", "contentType": "application/javascript+module",
                     "contentFile": "dist/index.js"}],
    }  # fmt: skip
    first = provider.create(VERSION, version_inputs)
    assert UUID.match(first.id) and first.plain["number"] == 1
    assert len(first.plain["modules"][0]["contentSha256"]) == 64
    assert_stable(provider, first, version_inputs)

    write_bundle(tmp_path, "dist/index.js", module_js() + b"// v2\n")
    assert provider.diff(first, version_inputs).replaces == ["modules"]
    second = provider.create(VERSION, version_inputs)
    assert second.plain["number"] == 2

    split = {
        "accountId": ACCOUNT_ID,
        "scriptName": name,
        "strategy": "percentage",
        "versions": [{"versionId": first.id, "percentage": 90},
                     {"versionId": second.id, "percentage": 10}],
    }  # fmt: skip
    deployment = provider.create(DEPLOYMENT, split)
    assert UUID.match(deployment.id) and "createdOn" in deployment.plain
    assert_stable(provider, deployment, split)
    renamed = provider.update(worker, {**worker_inputs, "name": name + "-2"})
    assert renamed.id == worker.id and renamed.plain["name"] == name + "-2"
    provider.delete(deployment)  # upstream: a no-op
    provider.delete(second)
    provider.delete(renamed)


def test_preview_create_answers_unknowns_for_what_only_cloudflare_knows(
    provider: ProviderHarness, emulator: Emulator
):
    title = unique("kv")
    preview = provider.create(KV, {"accountId": ACCOUNT_ID, "title": title}, preview=True)
    assert preview.plain["title"] == title and preview.plain["supportsUrlEncoding"] == UNKNOWN
    assert title not in {n["title"] for n in emulator.account_state()["kv_namespaces"]}
    queue = provider.create(
        QUEUE, {"accountId": ACCOUNT_ID, "queueName": unique("q")}, preview=True
    )
    assert queue.plain["queueId"] == UNKNOWN


def test_preview_update_changes_nothing_in_the_emulator(
    provider: ProviderHarness, emulator: Emulator
):
    inputs = {"accountId": ACCOUNT_ID, "queueName": unique("q")}
    queue = provider.create(QUEUE, inputs)
    news = provider.check(QUEUE, {**inputs, "queueName": inputs["queueName"] + "-2"}).inputs
    response = provider.run(provider.provider.update(
        UpdateRequest(urn(QUEUE), queue.id, queue.outputs, news, 60, [], True)
    ))  # fmt: skip
    assert response.properties["queueId"].value == queue.id
    assert response.properties["modifiedOn"].value == UNKNOWN
    names = {q["queue_name"] for q in emulator.account_state()["queues"]}
    assert inputs["queueName"] in names and inputs["queueName"] + "-2" not in names
