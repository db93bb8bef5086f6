"""The repository's staging and prod stacks, as a reviewer would check them."""

import dataclasses
import json

import pytest

from plan.engine import evaluate
from plan.manifest import SECRET
from plan.render.show import render_show
from plan.stackfile import read_stack_config
from tests.support.project import (
    REPO,
    binding,
    copy_bundles,
    find,
    platform_of,
    write_project,
)

STACKS = ["staging", "prod"]
VERSION = "workerVersion:WorkerVersion"
DEPLOYMENT = "workersDeployment:WorkersDeployment"


def suffix(stack: str) -> str:
    return "-staging" if stack == "staging" else ""


def version(manifest, worker: str, role: str = "stable"):
    """The WorkerVersion of `worker` in `role`, by the key the stack outputs for it."""
    keys = [v["key"] for v in manifest.outputs["workers"][worker]["versions"] if v["role"] == role]
    assert len(keys) == 1, f"expected one {role} version of {worker}, got {keys}"
    return find(manifest, VERSION, f"{worker}-version-{keys[0]}")


def managed(resource):
    """`resource` without the inputs it ignores changes of (what a diff compares)."""
    inputs = {k: v for k, v in resource.inputs.items() if k not in resource.ignore_changes}
    return dataclasses.replace(resource, inputs=inputs)


def deployment(manifest, worker: str):
    """The WorkersDeployment of `worker` (a child of its component)."""
    found = [
        r
        for r in manifest.resources
        if r.custom
        and r.type.endswith(DEPLOYMENT)
        and r.parent.endswith(f"edge:cloudflare:Worker::{worker}")
    ]
    assert len(found) == 1, f"expected one deployment of {worker}, got {[r.name for r in found]}"
    return found[0]


@pytest.mark.parametrize(
    ("stack", "target"),
    [("staging", "bookmarks-mail-worker-staging"), ("prod", "bookmarks-mail-worker")],
)
def test_mail_service_points_at_the_mail_worker_of_the_same_stack(stack_manifest, stack, target):
    manifest = stack_manifest(stack)
    assert find(manifest, "worker:Worker", "auth").inputs["name"] == f"auth{suffix(stack)}"
    assert deployment(manifest, "auth").inputs["scriptName"] == f"auth{suffix(stack)}"
    auth = version(manifest, "auth")
    assert binding(auth, "MAIL_SERVICE") == {
        "name": "MAIL_SERVICE",
        "type": "service",
        "service": target,
    }
    # The auth version waits for the mail worker's deployment, so the binding always resolves.
    assert deployment(manifest, "bookmarks-mail-worker").urn in auth.dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_dead_letter_queue_is_wired_into_the_consumer(stack_manifest, stack):
    manifest = stack_manifest(stack)
    consumer = find(manifest, "queueConsumer:QueueConsumer", "mail-outbox-consumer")
    dlq = find(manifest, "queue:Queue", "mail-outbox-dlq")
    assert consumer.inputs["queueId"] == "<mail-outbox.queue_id>"
    assert consumer.inputs["deadLetterQueue"] == dlq.inputs["queueName"]
    assert dlq.inputs["queueName"] == f"mail-outbox-dlq{suffix(stack)}"
    assert consumer.inputs["scriptName"] == f"bookmarks-mail-worker{suffix(stack)}"
    assert dlq.urn in consumer.dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_mail_worker_bindings_point_at_resources_of_the_same_stack(stack_manifest, stack):
    manifest = stack_manifest(stack)
    mail = version(manifest, "bookmarks-mail-worker")
    kv = find(manifest, "WorkersKvNamespace", "mail-state")
    d1 = find(manifest, "d1Database:D1Database", "mail-metadata")
    queue = find(manifest, "queue:Queue", "mail-outbox")
    assert kv.inputs["title"] == f"mail-state{suffix(stack)}"
    assert binding(mail, "MAIL_STATE")["namespaceId"] == "<mail-state.id>"
    assert binding(mail, "MAIL_DB")["id"] == "<mail-metadata.id>"
    assert d1.inputs["name"] == f"mail-metadata{suffix(stack)}"
    assert binding(mail, "MAIL_OUTBOX")["queueName"] == queue.inputs["queueName"]
    secret_suffix = "_STAGING" if stack == "staging" else ""
    store_id = platform_of(stack)["secretsStore"]["id"]
    for name in ("TURNSTILE_API_KEY", "RESEND_API_KEY", "POSTMARK_SERVER_TOKEN"):
        b = binding(mail, name)
        assert b["type"] == "secrets_store_secret"
        assert b["secretName"] == f"{name}{secret_suffix}"
        assert b["storeId"] == store_id
    assert {kv.urn, d1.urn, queue.urn} <= set(mail.dependencies)


@pytest.mark.parametrize("stack", STACKS)
def test_no_name_of_the_other_environment(stack_manifest, stack):
    text = json.dumps(stack_manifest(stack).to_json())
    if stack == "prod":
        assert "-staging" not in text and "_STAGING" not in text
    else:
        names = [
            r.inputs.get("scriptName") for r in stack_manifest(stack).resources
        ] + [  # a Worker's script name is its `name`
            r.inputs.get("name")
            for r in stack_manifest(stack).resources
            if r.custom and r.type.endswith("index/worker:Worker")
        ]
        for script in ("auth", "bookmarks-mail-worker", "dispatcher"):
            assert f'"{script}"' not in json.dumps(names)
            assert f"{script}-staging" in names


def test_dispatcher_binds_the_tenant_namespace(stack_manifest):
    dispatcher = version(stack_manifest("prod"), "dispatcher")
    assert binding(dispatcher, "TENANTS") == {
        "name": "TENANTS",
        "type": "dispatch_namespace",
        "namespace": "tenants",
    }


STATEFUL_TYPES = (
    "workersKvNamespace:WorkersKvNamespace",
    "d1Database:D1Database",
    "queue:Queue",
    "secretsStoreSecret:SecretsStoreSecret",
    "secretsStore:SecretsStore",
    "workersForPlatformsDispatchNamespace:WorkersForPlatformsDispatchNamespace",
    "postmark:Server",
    "postmark:Domain",
    "route53/record:Record",
)


def stateful(manifest):
    return [r for r in manifest.resources if r.custom and r.type.endswith(STATEFUL_TYPES)]


def test_prod_protects_every_stateful_resource_and_retains_data(stack_manifest):
    resources = stateful(stack_manifest("prod"))
    assert len(resources) == 13
    unprotected = [r.name for r in resources if not r.protect]
    assert unprotected == []
    retained = sorted(r.name for r in resources if r.retain_on_delete)
    assert retained == [
        "mail-dns-dkim",
        "mail-dns-dmarc",
        "mail-dns-return-path",
        "mail-domain",
        "mail-metadata",
        "mail-server",
        "mail-state",
    ]


def test_staging_follows_its_config(stack_manifest, tmp_path):
    assert [r.name for r in stateful(stack_manifest("staging")) if r.protect] == []
    p = platform_of("staging")
    p["protectStateful"] = True
    manifest = evaluate(REPO, "staging", config_dir=write_project(tmp_path, "staging", p))
    assert all(r.protect for r in stateful(manifest))


# URNs of stateful resources. A refactor that changes one would replace (empty) the resource:
# move it with `aliases` instead, then update this list in the same review.
PINNED_STATEFUL_URNS = [
    "edge:cloudflare:D1Database$cloudflare:index/d1Database:D1Database::mail-metadata",
    "edge:cloudflare:DispatchNamespace$cloudflare:index/workersForPlatformsDispatchNamespace:"
    "WorkersForPlatformsDispatchNamespace::tenants",
    "edge:cloudflare:KvNamespace$cloudflare:index/workersKvNamespace:WorkersKvNamespace::mail-state",
    "edge:cloudflare:QueueWithDeadLetter$cloudflare:index/queue:Queue::mail-outbox",
    "edge:cloudflare:QueueWithDeadLetter$cloudflare:index/queue:Queue::mail-outbox-dlq",
    "edge:cloudflare:SecretsStoreSecrets$cloudflare:index/secretsStoreSecret:SecretsStoreSecret::"
    "secrets-postmark-server-token",
    "edge:cloudflare:SecretsStoreSecrets$cloudflare:index/secretsStoreSecret:SecretsStoreSecret::"
    "secrets-resend-api-key",
    "edge:cloudflare:SecretsStoreSecrets$cloudflare:index/secretsStoreSecret:SecretsStoreSecret::"
    "secrets-turnstile-api-key",
    "edge:mail:MailDelivery$edge:mail:MailDnsRecords$aws:route53/record:Record::mail-dns-dkim",
    "edge:mail:MailDelivery$edge:mail:MailDnsRecords$aws:route53/record:Record::mail-dns-dmarc",
    "edge:mail:MailDelivery$edge:mail:MailDnsRecords$aws:route53/record:Record::"
    "mail-dns-return-path",
    "edge:mail:MailDelivery$pulumi-python:dynamic/postmark:Domain::mail-domain",
    "edge:mail:MailDelivery$pulumi-python:dynamic/postmark:Server::mail-server",
]


@pytest.mark.parametrize("stack", STACKS)
def test_stateful_urns_are_pinned(stack_manifest, stack):
    prefix = f"urn:pulumi:{stack}::edge-platform::"
    urns = sorted(r.urn.removeprefix(prefix) for r in stateful(stack_manifest(stack)))
    assert urns == sorted(PINNED_STATEFUL_URNS)


@pytest.mark.parametrize("stack", STACKS)
def test_secrets_stay_secret(stack_manifest, stack):
    manifest = stack_manifest(stack)
    for r in manifest.resources:
        if r.type.endswith("secretsStoreSecret:SecretsStoreSecret"):
            assert r.inputs["value"] == SECRET and "value" in r.secret_inputs
    webhook = find(manifest, "postmark:Webhook", "mail-webhook")
    assert webhook.inputs["http_headers"] == SECRET


@pytest.mark.parametrize("stack", STACKS)
def test_secure_stand_ins_never_reach_the_plan(tmp_path, stack):
    keys = ("turnstileApiKey", "resendApiKey", "postmarkWebhookBearer")
    root = write_project(
        tmp_path,
        stack,
        platform_of(stack),
        extra_config={f"edge-platform:{k}": {"secure": f"v1:{k}-ciphertext"} for k in keys},
    )
    manifest = evaluate(REPO, stack, config_dir=root)
    config = read_stack_config(root, stack)
    stand_ins = [v for k, v in config.values.items() if k in config.secret_keys]
    rendered = json.dumps(manifest.to_json()) + render_show(manifest)
    assert len(stand_ins) == len(keys)
    assert not any(s in rendered for s in stand_ins)


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_hold_every_id_wrangler_needs(stack_manifest, stack):
    out = stack_manifest(stack).outputs
    assert out["kvNamespaces"]["mail-state"]["id"] == "<mail-state.id>"
    assert out["d1Databases"]["mail-metadata"]["id"] == "<mail-metadata.id>"
    assert out["queues"]["mail-outbox"]["id"] == "<mail-outbox.queue_id>"
    assert out["queues"]["mail-outbox"]["deadLetterQueue"]["id"] == "<mail-outbox-dlq.queue_id>"
    assert len(out["secretsStore"]["id"]) == 32
    assert out["workers"]["auth"]["scriptName"] == f"auth{suffix(stack)}"


def test_postmark_server_name_follows_the_naming_rule(stack_manifest):
    server = find(stack_manifest("prod"), "postmark:Server", "mail-server")
    assert server.inputs["name"] == "edge-prod-example-bookmarks-mail"
    assert server.inputs["delivery_type"] == "Live"
    assert server.inputs["smtp_api_activated"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_dkim_and_return_path_records_come_from_the_postmark_domain(stack_manifest, stack):
    manifest = stack_manifest(stack)
    dkim = find(manifest, "route53/record:Record", "mail-dns-dkim")
    assert (dkim.inputs["name"], dkim.inputs["records"]) == (
        "<mail-domain.dkim_host>",
        ["<mail-domain.dkim_text_value>"],
    )
    verification = find(manifest, "postmark:DomainVerification", "mail-domain-verification")
    assert dkim.urn in verification.dependencies  # verify only once DNS is there


def test_repointing_mail_service_makes_a_new_version_differing_in_one_binding_only(
    stack_manifest, tmp_path
):
    p = platform_of("prod")
    p["workers"]["auth"]["bindings"][0]["service"] = "cosmos-mail-worker"
    write_project(tmp_path, "prod", p, bundles=False)
    copy_bundles(tmp_path, p)  # the same bundles: only the binding differs
    changed = evaluate(REPO, "prod", config_dir=tmp_path)
    before = {r.urn: r for r in stack_manifest("prod").resources}
    after = {r.urn: r for r in changed.resources}
    # A binding is part of what makes a version: a new version (its key changes) replaces the
    # old one, and the deployment moves its traffic to it. Nothing else changes.
    old_auth, auth = version(stack_manifest("prod"), "auth"), version(changed, "auth")
    assert old_auth.urn != auth.urn
    assert before.keys() - after.keys() == {old_auth.urn}
    assert after.keys() - before.keys() == {auth.urn}
    # Annotations name the commit a version or deployment was created by (the repository's
    # HEAD vs none outside git here); they are in ignore_changes, so never a change.
    differing = [
        urn for urn in before.keys() & after.keys() if managed(before[urn]) != managed(after[urn])
    ]
    assert differing == [deployment(changed, "auth").urn]
    assert deployment(changed, "auth").inputs["versions"] == [
        {"versionId": f"<{auth.name}.id>", "percentage": 100}
    ]
    old_bindings = {b["name"]: b for b in old_auth.inputs["bindings"]}
    new_bindings = {b["name"]: b for b in auth.inputs["bindings"]}
    assert [n for n in old_bindings if old_bindings[n] != new_bindings[n]] == ["MAIL_SERVICE"]
    assert old_bindings.keys() == new_bindings.keys()
    assert binding(auth, "MAIL_SERVICE")["service"] == "cosmos-mail-worker"
    assert {k: v for k, v in managed(old_auth).inputs.items() if k != "bindings"} == {
        k: v for k, v in managed(auth).inputs.items() if k != "bindings"
    }
    # Bound to an external worker by name: no dependency on the mail worker any more.
    assert deployment(changed, "bookmarks-mail-worker").urn not in auth.dependencies


def test_existing_postmark_server_is_adopted_only_when_asked(stack_manifest, tmp_path):
    server = find(stack_manifest("staging"), "postmark:Server", "mail-server")
    assert server.inputs["adopt"] is False
    p = platform_of("staging")
    p["mail"]["adoptExistingServer"] = True
    adopted = evaluate(REPO, "staging", config_dir=write_project(tmp_path, "staging", p))
    assert find(adopted, "postmark:Server", "mail-server").inputs["adopt"] is True


def test_workers_binding_each_other_still_build(tmp_path):
    p = platform_of("staging")
    mail = p["workers"]["bookmarks-mail-worker"]["bindings"]
    mail.append({"name": "AUTH", "service": "auth-staging"})
    manifest = evaluate(REPO, "staging", config_dir=write_project(tmp_path, "staging", p))
    auth, mail_version = version(manifest, "auth"), version(manifest, "bookmarks-mail-worker")
    assert binding(mail_version, "AUTH")["service"] == "auth-staging"
    assert binding(auth, "MAIL_SERVICE")["service"] == "bookmarks-mail-worker-staging"
    # One edge of the cycle waits for its target's deployment; the other binds by name (no
    # deadlock).
    auth_waits = deployment(manifest, "bookmarks-mail-worker").urn in auth.dependencies
    mail_waits = deployment(manifest, "auth").urn in mail_version.dependencies
    assert auth_waits != mail_waits
