"""The Worker component: bundle by hash, typed bindings on the wire, sorted, validated."""

import pulumi
import pytest

from components.cloudflare import (
    CustomDomain,
    D1Binding,
    DispatchNamespaceBinding,
    ExternalWorker,
    KvBinding,
    PlainTextBinding,
    QueueProducerBinding,
    SecretsStoreSecretBinding,
    SecretTextBinding,
    ServiceBinding,
    Worker,
    WorkerArgs,
)
from plan.manifest import SECRET
from tests.support.mocks import custom, one, register

ACCOUNT = "0" * 32


def worker_args(**overrides) -> WorkerArgs:
    base = dict(
        account_id=ACCOUNT,
        script_name="auth-staging",
        bundle_path="/abs/bundles/auth.js",
        bundle_sha256="ab" * 32,
        compatibility_date="2025-09-01",
    )
    return WorkerArgs(**{**base, **overrides})


def script_of(resources):
    return one(resources, "workersScript:WorkersScript")


def test_script_uploads_bundle_by_path_and_hash():
    script = script_of(
        register(lambda: Worker("auth", worker_args(compatibility_flags=["b", "a"])))
    )
    assert script.inputs["contentFile"] == "/abs/bundles/auth.js"
    assert script.inputs["contentSha256"] == "ab" * 32
    assert "content" not in script.inputs  # state keeps the hash, not the bundle
    assert script.inputs["mainModule"] == "index.js"
    assert script.inputs["compatibilityFlags"] == ["a", "b"]


def test_every_binding_kind_has_cloudflare_wire_shape_sorted_by_name():
    bindings = [
        ServiceBinding("SVC", ExternalWorker("cosmos-mail-worker"), entrypoint="Mailer"),
        KvBinding("KV", "kv-id"),
        D1Binding("DB", "d1-id"),
        QueueProducerBinding("QUEUE", "outbox"),
        SecretsStoreSecretBinding("API_KEY", "store-id", "API_KEY_STAGING"),
        DispatchNamespaceBinding("TENANTS", "tenants"),
        PlainTextBinding("LOG_LEVEL", "info"),
    ]
    script = script_of(register(lambda: Worker("w", worker_args(bindings=bindings))))
    assert script.inputs["bindings"] == [
        {
            "name": "API_KEY",
            "type": "secrets_store_secret",
            "storeId": "store-id",
            "secretName": "API_KEY_STAGING",
        },
        {"name": "DB", "type": "d1", "id": "d1-id"},
        {"name": "KV", "type": "kv_namespace", "namespaceId": "kv-id"},
        {"name": "LOG_LEVEL", "type": "plain_text", "text": "info"},
        {"name": "QUEUE", "type": "queue", "queueName": "outbox"},
        {"name": "SVC", "type": "service", "service": "cosmos-mail-worker", "entrypoint": "Mailer"},
        {"name": "TENANTS", "type": "dispatch_namespace", "namespace": "tenants"},
    ]


def test_binding_order_in_code_never_changes_the_inputs():
    a = [PlainTextBinding("A", "1"), PlainTextBinding("B", "2")]
    first = script_of(register(lambda: Worker("w", worker_args(bindings=a))))
    second = script_of(register(lambda: Worker("w", worker_args(bindings=list(reversed(a))))))
    assert first.inputs == second.inputs


def test_secret_text_value_is_secret():
    def declare():
        Worker(
            "w", worker_args(bindings=[SecretTextBinding("SIGNING", pulumi.Output.secret("s3"))])
        )

    script = script_of(register(declare))
    assert script.inputs["bindings"] == [{"name": "SIGNING", "type": "secret_text", "text": SECRET}]
    assert script.secret_inputs == ["bindings[SIGNING].text"]
    assert "s3" not in str(script)


def test_service_binding_to_declared_worker_waits_for_its_script():
    def declare():
        mail = Worker("mail", worker_args(script_name="mail-staging"))
        Worker("auth", worker_args(bindings=[ServiceBinding("MAIL_SERVICE", mail)]))

    scripts = {r.name: r for r in custom(register(declare), "WorkersScript")}
    assert scripts["auth"].inputs["bindings"][0]["service"] == "mail-staging"
    assert scripts["mail"].urn in scripts["auth"].dependencies


def test_duplicate_binding_names_are_rejected():
    with pytest.raises(ValueError, match="duplicate bindings: \\['X'\\]"):
        register(
            lambda: Worker(
                "w", worker_args(bindings=[PlainTextBinding("X", "1"), KvBinding("X", "id")])
            )
        )


def test_custom_domain_follows_the_script_and_rejects_wildcards():
    resources = register(
        lambda: Worker(
            "w", worker_args(custom_domains=[CustomDomain("auth.example.com", "z" * 32)])
        )
    )
    domain = one(resources, "workersCustomDomain:WorkersCustomDomain")
    assert domain.inputs["hostname"] == "auth.example.com"
    assert domain.inputs["service"] == "auth-staging"
    assert script_of(resources).urn in domain.dependencies
    with pytest.raises(ValueError, match="wildcards"):
        register(lambda: Worker("w", worker_args(custom_domains=[CustomDomain("*.ex.com", "z")])))


def test_secret_text_is_masked_alone_unless_another_binding_holds_a_secret():
    from plan.stackfile import STAND_IN_PREFIX

    def declare(extra):
        text = pulumi.Output.secret(f"{STAND_IN_PREFIX}abc")
        Worker("w", worker_args(bindings=[SecretTextBinding("SIGNING", text), *extra]))

    opened = script_of(register(lambda: declare([PlainTextBinding("LOG", "info")])))
    assert opened.inputs["bindings"][0] == {"name": "LOG", "type": "plain_text", "text": "info"}
    assert opened.secret_inputs == ["bindings[SIGNING].text"]
    # A secret anywhere else: nothing can tell which field it is, so the list stays closed.
    leaked_id = KvBinding("KV", pulumi.Output.secret(f"{STAND_IN_PREFIX}def"))
    closed = script_of(register(lambda: declare([leaked_id])))
    assert closed.inputs["bindings"] == SECRET and closed.secret_inputs == ["bindings"]
