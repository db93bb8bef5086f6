"""check_manifest over offline manifests: the repository's stacks, and throwaway projects."""

from __future__ import annotations

import pytest

from plan.checks import check_manifest, policy_config
from plan.manifest import Manifest, Resource
from stacks.guards.config import PolicyConfig
from tests.support.project import evaluate_project, find, platform_of, write_project


def copy(manifest: Manifest) -> Manifest:
    return Manifest.from_json(manifest.to_json())


def custom(manifest: Manifest, type_suffix: str, name: str) -> Resource:
    return find(manifest, type_suffix, name)


def stable_version(manifest: Manifest, worker: str) -> Resource:
    """The WorkerVersion holding `worker`'s bindings (its stable version)."""
    [key] = [
        v["key"] for v in manifest.outputs["workers"][worker]["versions"] if v["role"] == "stable"
    ]
    return find(manifest, "workerVersion:WorkerVersion", f"{worker}-version-{key}")


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_repository_stacks_pass_every_rule(stack_manifest, stack):
    assert check_manifest(stack_manifest(stack)) == []


def test_unprotected_database_in_the_prod_manifest_is_a_violation(stack_manifest):
    manifest = copy(stack_manifest("prod"))
    custom(manifest, "d1Database:D1Database", "mail-metadata").protect = False
    found = check_manifest(manifest)
    assert [(v.rule, v.urn.rsplit("::", 1)[-1]) for v in found] == [
        ("stateful-protected-in-prod", "mail-metadata")
    ]


def test_unprotected_mail_records_in_the_prod_manifest_are_violations(stack_manifest):
    manifest = copy(stack_manifest("prod"))
    for r in manifest.resources:
        if r.type == "aws:route53/record:Record":
            r.protect = False
    found = {v.urn.rsplit("::", 1)[-1] for v in check_manifest(manifest)}
    assert found == {"mail-dns-dkim", "mail-dns-dmarc", "mail-dns-return-path"}


def test_consumer_queue_id_placeholder_resolves_to_its_queue(stack_manifest):
    """The consumer's queueId is the engine's placeholder "<mail-outbox.queue_id>": the rule must
    resolve it to the queue mail-outbox-staging to see that the DLQ is the queue itself."""
    manifest = copy(stack_manifest("staging"))
    consumer = custom(manifest, "queueConsumer:QueueConsumer", "mail-outbox-consumer")
    assert consumer.inputs["queueId"] == "<mail-outbox.queue_id>"
    consumer.inputs["deadLetterQueue"] = "mail-outbox-staging"
    found = check_manifest(manifest)
    assert [v.rule for v in found] == ["queue-consumer-dead-letter-queue"]
    assert "its own queue 'mail-outbox-staging'" in found[0].message


def test_external_workers_come_from_the_stack_file_by_default(stack_manifest):
    manifest = copy(stack_manifest("prod"))
    auth = stable_version(manifest, "auth")
    auth.inputs["bindings"].append(
        {"name": "LEGACY_MAIL", "type": "service", "service": "cosmos-mail-worker"}
    )
    # Pulumi.prod.yaml lists cosmos-mail-worker under externalWorkers.
    assert check_manifest(manifest) == []
    found = check_manifest(manifest, PolicyConfig())
    assert [v.rule for v in found] == ["service-binding-target-exists"]


@pytest.fixture(scope="module")
def tenant_project(tmp_path_factory):
    platform = platform_of("staging")
    platform["dispatchNamespaces"]["tenants"] = {"tenantScripts": {"tenant-a": {}}}
    root = write_project(tmp_path_factory.mktemp("tenants"), "staging", platform)
    return root, evaluate_project(root, "staging")


def test_tenant_scripts_come_from_the_projects_stack_file(tenant_project):
    root, manifest = tenant_project
    config = policy_config(root, "staging")
    assert config.tenant_scripts == {"tenant-a": "tenants"}
    assert config.external_workers == {"cosmos-mail-worker-staging"}
    assert check_manifest(manifest, config) == []

    bound = copy(manifest)
    dispatcher = stable_version(bound, "dispatcher")
    dispatcher.inputs["bindings"].append({"name": "A", "type": "service", "service": "tenant-a"})
    found = check_manifest(bound, config)
    assert [v.rule for v in found] == ["no-service-binding-to-tenant-script"]
    # Without the tenant list the same binding is an unknown target (and a prod-looking name).
    assert {v.rule for v in check_manifest(bound, PolicyConfig())} == {
        "service-binding-target-exists",
        "no-foreign-environment-names",
    }


def test_long_dmarc_value_is_split_into_legal_txt_strings(tmp_path):
    platform = platform_of("staging")
    platform["mail"]["dmarc"]["rua"] = "mailto:" + "r" * 300 + "@bookmarks.example.com"
    root = write_project(tmp_path, "staging", platform)
    manifest = evaluate_project(root, "staging")
    config = policy_config(root, "staging")
    dmarc = custom(manifest, "route53/record:Record", "mail-dns-dmarc")
    assert len(dmarc.inputs["records"][0]) > 255
    assert check_manifest(manifest, config) == []

    unsplit = copy(manifest)
    record = custom(unsplit, "route53/record:Record", "mail-dns-dmarc")
    record.inputs["records"] = [record.inputs["records"][0].replace('""', "")]
    assert [v.rule for v in check_manifest(unsplit, config)] == ["route53-txt-string-length"]
