"""The Worker component: a Worker, its versions (bundle by path, typed bindings on the wire,
sorted) and the deployment that splits traffic between them; validated."""

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
    VersionArgs,
    Worker,
    WorkerArgs,
)
from plan.manifest import SECRET
from tests.support.mocks import custom, one, register

ACCOUNT = "0" * 32
WORKER = "cloudflare:index/worker:Worker"
VERSION = "workerVersion:WorkerVersion"
DEPLOYMENT = "workersDeployment:WorkersDeployment"


def version_args(**overrides) -> VersionArgs:
    base = dict(
        key="v1",
        bundle_path="/abs/bundles/auth.js",
        bundle_sha256="ab" * 32,
        percentage=100,
    )
    return VersionArgs(**{**base, **overrides})


def worker_args(*, bindings=(), versions=None, **overrides) -> WorkerArgs:
    base = dict(
        account_id=ACCOUNT,
        script_name="auth-staging",
        compatibility_date="2025-09-01",
        versions=versions or [version_args(bindings=list(bindings))],
    )
    return WorkerArgs(**{**base, **overrides})


def version_of(resources):
    return one(resources, VERSION)


def test_worker_is_named_by_its_script_and_adopts_the_old_workers_script():
    worker = one(register(lambda: Worker("auth", worker_args())), WORKER)
    assert worker.name == "auth"
    assert worker.inputs["name"] == "auth-staging"
    assert worker.aliases == ["alias(type=cloudflare:index/workersScript:WorkersScript)"]


def test_version_uploads_bundle_by_path_and_outputs_its_pinned_hash():
    made = {}

    def declare():
        made["w"] = Worker("auth", worker_args(compatibility_flags=["b", "a"]))

    resources = register(declare)
    version = version_of(resources)
    assert version.name == "auth-version-v1"
    assert version.inputs["modules"] == [
        {
            "name": "index.js",
            "contentType": "application/javascript+module",
            "contentFile": "/abs/bundles/auth.js",
        }
    ]
    # State keeps the provider's hash of the file, not the bundle (nor a hash input of ours).
    assert "content" not in version.inputs["modules"][0]
    assert not any("sha256" in k.lower() for k in version.inputs)
    assert version.inputs["mainModule"] == "index.js"
    assert version.inputs["compatibilityDate"] == "2025-09-01"
    assert version.inputs["compatibilityFlags"] == ["a", "b"]
    assert version.inputs["workerId"] == "<auth.id>"
    assert one(resources, WORKER).urn in version.dependencies
    outputs = made["w"].version_outputs()
    assert [(o["role"], o["key"], o["sha256"], o["percentage"]) for o in outputs] == [
        ("stable", "v1", "ab" * 32, 100)
    ]


def test_deployment_splits_traffic_and_leaves_out_a_version_at_zero():
    def declare(candidate_share):
        Worker(
            "auth",
            worker_args(
                versions=[
                    version_args(key="stable", percentage=100 - candidate_share),
                    version_args(key="canary", percentage=candidate_share, role="candidate"),
                ]
            ),
        )

    split = register(lambda: declare(10))
    assert sorted(r.name for r in custom(split, VERSION)) == [
        "auth-version-canary",
        "auth-version-stable",
    ]
    deployment = one(split, DEPLOYMENT)
    assert deployment.inputs["scriptName"] == "auth-staging"
    assert deployment.inputs["strategy"] == "percentage"
    assert deployment.inputs["versions"] == [
        {"versionId": "<auth-version-stable.id>", "percentage": 90},
        {"versionId": "<auth-version-canary.id>", "percentage": 10},
    ]
    uploaded_only = register(lambda: declare(0))
    assert len(custom(uploaded_only, VERSION)) == 2  # still uploaded
    assert one(uploaded_only, DEPLOYMENT).inputs["versions"] == [
        {"versionId": "<auth-version-stable.id>", "percentage": 100}
    ]


def test_versions_must_add_up_to_100_and_be_distinct():
    with pytest.raises(ValueError, match="add up to 95, not 100"):
        register(
            lambda: Worker(
                "w",
                worker_args(
                    versions=[
                        version_args(key="a", percentage=90),
                        version_args(key="b", percentage=5),
                    ]
                ),
            )
        )
    with pytest.raises(ValueError, match="are the same version"):
        register(
            lambda: Worker(
                "w",
                worker_args(
                    versions=[
                        version_args(key="a", percentage=90),
                        version_args(key="a", percentage=10),
                    ]
                ),
            )
        )


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
    version = version_of(register(lambda: Worker("w", worker_args(bindings=bindings))))
    assert version.inputs["bindings"] == [
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
    first = version_of(register(lambda: Worker("w", worker_args(bindings=a))))
    second = version_of(register(lambda: Worker("w", worker_args(bindings=list(reversed(a))))))
    assert first.inputs["bindings"] == [
        {"name": "A", "type": "plain_text", "text": "1"},
        {"name": "B", "type": "plain_text", "text": "2"},
    ]
    assert first.inputs == second.inputs


def test_secret_text_value_is_secret():
    def declare():
        Worker(
            "w", worker_args(bindings=[SecretTextBinding("SIGNING", pulumi.Output.secret("s3"))])
        )

    version = version_of(register(declare))
    assert version.inputs["bindings"] == [
        {"name": "SIGNING", "type": "secret_text", "text": SECRET}
    ]
    assert version.secret_inputs == ["bindings[SIGNING].text"]
    assert "s3" not in str(version)


def test_service_binding_to_declared_worker_waits_for_its_deployment():
    def declare():
        mail = Worker("mail", worker_args(script_name="mail-staging"))
        Worker("auth", worker_args(bindings=[ServiceBinding("MAIL_SERVICE", mail)]))

    resources = register(declare)
    versions = {r.name: r for r in custom(resources, VERSION)}
    deployments = {r.inputs["scriptName"]: r for r in custom(resources, DEPLOYMENT)}
    auth = versions["auth-version-v1"]
    assert auth.inputs["bindings"][0]["service"] == "mail-staging"
    # The binding resolves only once the target serves traffic: after its deployment.
    assert deployments["mail-staging"].urn in auth.dependencies


def test_duplicate_binding_names_are_rejected():
    with pytest.raises(ValueError, match="duplicate bindings: \\['X'\\]"):
        register(
            lambda: Worker(
                "w", worker_args(bindings=[PlainTextBinding("X", "1"), KvBinding("X", "id")])
            )
        )


def test_custom_domain_follows_the_deployment_and_rejects_wildcards():
    resources = register(
        lambda: Worker(
            "w", worker_args(custom_domains=[CustomDomain("auth.example.com", "z" * 32)])
        )
    )
    domain = one(resources, "workersCustomDomain:WorkersCustomDomain")
    assert domain.inputs["hostname"] == "auth.example.com"
    assert domain.inputs["service"] == "auth-staging"
    assert one(resources, DEPLOYMENT).urn in domain.dependencies
    with pytest.raises(ValueError, match="wildcards"):
        register(lambda: Worker("w", worker_args(custom_domains=[CustomDomain("*.ex.com", "z")])))


def test_secret_text_is_masked_alone_unless_another_binding_holds_a_secret():
    from plan.stackfile import STAND_IN_PREFIX

    def declare(extra):
        text = pulumi.Output.secret(f"{STAND_IN_PREFIX}abc")
        Worker("w", worker_args(bindings=[SecretTextBinding("SIGNING", text), *extra]))

    opened = version_of(register(lambda: declare([PlainTextBinding("LOG", "info")])))
    assert opened.inputs["bindings"][0] == {"name": "LOG", "type": "plain_text", "text": "info"}
    assert opened.secret_inputs == ["bindings[SIGNING].text"]
    # A secret anywhere else: nothing can tell which field it is, so the list stays closed.
    leaked_id = KvBinding("KV", pulumi.Output.secret(f"{STAND_IN_PREFIX}def"))
    closed = version_of(register(lambda: declare([leaked_id])))
    assert closed.inputs["bindings"] == SECRET and closed.secret_inputs == ["bindings"]
