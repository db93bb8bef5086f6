"""KV, D1, dispatch namespace, queue + DLQ + consumer, and Secrets Store components."""

import pulumi
import pytest

from components.cloudflare import (
    ConsumerSettings,
    D1Database,
    D1DatabaseArgs,
    DispatchNamespace,
    DispatchNamespaceArgs,
    KvNamespace,
    KvNamespaceArgs,
    QueueWithDeadLetter,
    QueueWithDeadLetterArgs,
    SecretsStoreSecrets,
    SecretsStoreSecretsArgs,
    StoreSecret,
)
from components.safety import DataSafety
from plan.manifest import SECRET
from tests.support.mocks import custom, one, register

ACCOUNT = "0" * 32


def test_kv_namespace_is_a_guarded_child_of_its_component():
    resources = register(
        lambda: KvNamespace(
            "state", KvNamespaceArgs(ACCOUNT, "state-staging", DataSafety(True, True))
        )
    )
    component = [r for r in resources if not r.custom][0]
    kv = one(resources, "workersKvNamespace:WorkersKvNamespace")
    assert component.type == "edge:cloudflare:KvNamespace"
    assert kv.parent == component.urn
    assert kv.inputs["title"] == "state-staging"
    assert (kv.protect, kv.retain_on_delete) == (True, True)


def test_kv_namespace_unguarded_by_default():
    kv = one(
        register(lambda: KvNamespace("s", KvNamespaceArgs(ACCOUNT, "s"))), "WorkersKvNamespace"
    )
    assert (kv.protect, kv.retain_on_delete) == (False, False)


@pytest.mark.parametrize("mode", ["auto", "disabled"])
def test_d1_always_sends_read_replication(mode):
    db = one(
        register(
            lambda: D1Database("db", D1DatabaseArgs(ACCOUNT, "db-prod", read_replication=mode))
        ),
        "d1Database:D1Database",
    )
    assert db.inputs["readReplication"] == {"mode": mode}
    assert db.inputs["name"] == "db-prod"
    assert "primaryLocationHint" not in db.inputs


def test_d1_location_hint():
    db = one(
        register(
            lambda: D1Database(
                "db", D1DatabaseArgs(ACCOUNT, "db", read_replication="auto", location_hint="weur")
            )
        ),
        "D1Database",
    )
    assert db.inputs["primaryLocationHint"] == "weur"


def test_dispatch_namespace_name():
    ns = one(
        register(lambda: DispatchNamespace("t", DispatchNamespaceArgs(ACCOUNT, "tenants-staging"))),
        "WorkersForPlatformsDispatchNamespace",
    )
    assert ns.inputs["name"] == "tenants-staging"


def test_queue_with_dead_letter_and_consumer():
    def declare():
        q = QueueWithDeadLetter(
            "outbox", QueueWithDeadLetterArgs(ACCOUNT, "outbox", "outbox-dlq", DataSafety(True))
        )
        q.add_consumer(
            "mail-worker",
            ConsumerSettings(
                batch_size=25, max_retries=7, retry_delay_seconds=60, max_concurrency=3
            ),
        )

    resources = register(declare)
    queues = {r.inputs["queueName"]: r for r in custom(resources, "queue:Queue")}
    assert set(queues) == {"outbox", "outbox-dlq"}
    assert all(r.protect for r in queues.values())
    consumer = one(resources, "queueConsumer:QueueConsumer")
    assert consumer.inputs["deadLetterQueue"] == "outbox-dlq"
    assert consumer.inputs["queueId"] == "<outbox.queue_id>"
    assert consumer.inputs["scriptName"] == "mail-worker"
    assert consumer.inputs["type"] == "worker"
    assert consumer.inputs["settings"] == {
        "batchSize": 25,
        "maxConcurrency": 3,
        "maxRetries": 7,
        "maxWaitTimeMs": 5000,
        "retryDelay": 60,
    }
    # The consumer may only be created once the DLQ it names exists.
    assert queues["outbox-dlq"].urn in consumer.dependencies


def test_queue_refuses_itself_as_dead_letter_queue():
    with pytest.raises(ValueError, match="own dead-letter queue"):
        register(lambda: QueueWithDeadLetter("q", QueueWithDeadLetterArgs(ACCOUNT, "q", "q")))


def test_secrets_in_existing_store_are_secret_and_create_no_store():
    def declare():
        SecretsStoreSecrets(
            "secrets",
            SecretsStoreSecretsArgs(
                ACCOUNT,
                store_id="a" * 32,
                secrets=[
                    StoreSecret("B_KEY", "B_KEY", pulumi.Output.secret("value-b")),
                    StoreSecret("A_KEY", "A_KEY_STAGING", pulumi.Output.secret("value-a")),
                ],
            ),
        )

    resources = register(declare)
    assert custom(resources, "secretsStore:SecretsStore") == []
    secrets = custom(resources, "secretsStoreSecret:SecretsStoreSecret")
    assert sorted(s.inputs["name"] for s in secrets) == ["A_KEY_STAGING", "B_KEY"]
    for s in secrets:
        assert s.inputs["storeId"] == "a" * 32
        assert s.inputs["value"] == SECRET
        assert "value" in s.secret_inputs
        assert s.inputs["scopes"] == ["workers"]


def test_secrets_store_created_when_named():
    resources = register(
        lambda: SecretsStoreSecrets(
            "secrets",
            SecretsStoreSecretsArgs(ACCOUNT, store_name="platform", safety=DataSafety(True)),
        )
    )
    store = one(resources, "secretsStore:SecretsStore")
    assert store.inputs["name"] == "platform"
    assert store.protect


def test_secret_value_must_be_an_output():
    with pytest.raises(TypeError, match="Pulumi secret Output"):
        register(
            lambda: SecretsStoreSecrets(
                "s",
                SecretsStoreSecretsArgs(
                    ACCOUNT, store_id="a" * 32, secrets=[StoreSecret("K", "K", "plain")]
                ),
            )
        )
