"""The one composition: a validated stack config in, every component of the platform out."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components import cloudflare as cf
from components.safety import DataSafety
from stacks import naming
from stacks.loader import LoadedPlatform, candidate_key
from stacks.mail import MailDelivery, build_mail
from stacks.schema import BindingSpec, BundleSpec, PlatformSpec, WorkerSpec
from stacks.secret_config import SecretConfig


@dataclass
class Platform:
    """What the composition built, by logical name; `outputs()` is what the stack exports."""

    spec: PlatformSpec
    kv: dict[str, cf.KvNamespace] = field(default_factory=dict)
    d1: dict[str, cf.D1Database] = field(default_factory=dict)
    queues: dict[str, cf.QueueWithDeadLetter] = field(default_factory=dict)
    dispatch: dict[str, cf.DispatchNamespace] = field(default_factory=dict)
    secrets: cf.SecretsStoreSecrets | None = None
    workers: dict[str, cf.Worker] = field(default_factory=dict)
    mail: MailDelivery | None = None

    def outputs(self) -> dict[str, object]:
        """Every id a worker's wrangler config needs, keyed by logical name."""
        out: dict[str, object] = {
            "environment": self.spec.environment,
            "accountId": self.spec.account_id,
            "kvNamespaces": {
                k: {"id": v.namespace_id, "title": v.title} for k, v in self.kv.items()
            },
            "d1Databases": {
                k: {"id": v.database_id, "name": v.database_name} for k, v in self.d1.items()
            },
            "queues": {
                k: {
                    "id": v.queue_id,
                    "name": v.queue_name,
                    "deadLetterQueue": {
                        "id": v.dead_letter_queue_id,
                        "name": v.dead_letter_queue_name,
                    },
                }
                for k, v in self.queues.items()
            },
            "dispatchNamespaces": {k: {"name": v.namespace_name} for k, v in self.dispatch.items()},
            "workers": {
                k: {
                    "scriptName": v.script_name,
                    "bundle": _pin(self.spec.workers[k].bundle),
                    **_candidate_pin(self.spec.workers[k]),
                    "versions": v.version_outputs(),
                }
                for k, v in self.workers.items()
            },
        }
        if self.secrets is not None:
            out["secretsStore"] = {"id": self.secrets.store_id}
            out["secrets"] = {
                key: {"name": naming.secret_name(key, self.spec.environment)}
                for key in self._secret_keys()
            }
        return out

    def _secret_keys(self) -> list[str]:
        keys = list(self.spec.secrets)
        if self.spec.mail and self.spec.mail.server_token_secret:
            keys.append(self.spec.mail.server_token_secret)
        return sorted(keys)


def build(
    loaded: LoadedPlatform,
    secret_config: SecretConfig,
    commit: cf.Annotations | None = None,
) -> Platform:
    """commit: the annotations new versions and deployments are created with."""
    spec = loaded.spec
    env = spec.environment
    platform = Platform(spec=spec)
    guarded = env == "prod" or spec.protect_stateful
    stateful = DataSafety(protect=guarded)
    keep_data = DataSafety(protect=guarded, retain_on_delete=guarded)
    account = spec.account_id

    for key, _kv in sorted(spec.kv_namespaces.items()):
        platform.kv[key] = cf.KvNamespace(
            key, cf.KvNamespaceArgs(account, naming.physical(key, env), safety=keep_data)
        )
    for key, d1 in sorted(spec.d1_databases.items()):
        platform.d1[key] = cf.D1Database(
            key,
            cf.D1DatabaseArgs(
                account,
                naming.physical(key, env),
                read_replication=d1.read_replication,
                location_hint=d1.location_hint,
                safety=keep_data,
            ),
        )
    for key, q in sorted(spec.queues.items()):
        assert q.dead_letter_queue, "validated: every queue has a dead-letter queue"
        platform.queues[key] = cf.QueueWithDeadLetter(
            key,
            cf.QueueWithDeadLetterArgs(
                account,
                naming.physical(key, env),
                naming.physical(q.dead_letter_queue, env),
                safety=stateful,
            ),
        )
    for key in sorted(spec.dispatch_namespaces):
        platform.dispatch[key] = cf.DispatchNamespace(
            key, cf.DispatchNamespaceArgs(account, naming.physical(key, env), safety=stateful)
        )

    mail_server_token = None
    if spec.mail is not None:
        platform.mail = build_mail(spec, secret_config, keep_data)
        mail_server_token = platform.mail.server_token

    if spec.secrets_store is not None:
        store_secrets = [
            cf.StoreSecret(
                key=key,
                name=naming.secret_name(key, env),
                value=secret_config(s.config_key),
                scopes=tuple(s.scopes),
            )
            for key, s in spec.secrets.items()
        ]
        if mail_server_token is not None and spec.mail.server_token_secret:
            key = spec.mail.server_token_secret
            store_secrets.append(
                cf.StoreSecret(key=key, name=naming.secret_name(key, env), value=mail_server_token)
            )
        platform.secrets = cf.SecretsStoreSecrets(
            "secrets",
            cf.SecretsStoreSecretsArgs(
                account,
                store_id=spec.secrets_store.id,
                store_name=spec.secrets_store.name,
                secrets=store_secrets,
                safety=stateful,
            ),
        )

    for key in _build_order(spec):
        w = spec.workers[key]
        platform.workers[key] = cf.Worker(
            key,
            cf.WorkerArgs(
                account_id=account,
                script_name=naming.physical(key, env),
                compatibility_date=w.compatibility_date,
                main_module=w.main_module,
                compatibility_flags=list(w.compatibility_flags),
                versions=_versions(platform, loaded, key, secret_config),
                custom_domains=[cf.CustomDomain(d.hostname, d.zone_id) for d in w.custom_domains],
                annotations=commit,
            ),
        )
    for key, w in sorted(spec.workers.items()):
        for consumer in w.consumes:
            platform.queues[consumer.queue].add_consumer(
                platform.workers[key].service_name,
                cf.ConsumerSettings(
                    batch_size=consumer.batch_size,
                    max_retries=consumer.max_retries,
                    retry_delay_seconds=consumer.retry_delay_seconds,
                    max_wait_time_ms=consumer.max_wait_time_ms,
                    max_concurrency=consumer.max_concurrency,
                ),
            )
    if platform.mail is not None:
        platform.mail.add_webhook(platform.workers)
    return platform


def _versions(
    platform: Platform, loaded: LoadedPlatform, key: str, secret_config: SecretConfig
) -> list[cf.VersionArgs]:
    """The stable version, and the candidate if one is declared, with their traffic shares."""
    w = platform.spec.workers[key]
    stable_bundle = loaded.bundles[key]
    share = w.candidate.percentage if w.candidate else 0

    def version(role: str, bundle, bindings: list[BindingSpec], percentage: float):
        return cf.VersionArgs(
            key=w.version_key(bundle.sha256, bindings),
            bundle_path=bundle.content_file,
            bundle_sha256=bundle.sha256,
            percentage=percentage,
            bindings=[_binding(platform, b, secret_config) for b in bindings],
            role=role,
        )

    versions = [version("stable", stable_bundle, list(w.bindings), 100 - share)]
    if w.candidate is not None:
        bundle = loaded.bundles.get(candidate_key(key), stable_bundle)
        versions.append(version("candidate", bundle, w.candidate_bindings(), share))
    return versions


def _binding(platform: Platform, b: BindingSpec, secret_config: SecretConfig) -> cf.Binding:
    env = platform.spec.environment
    match b.kind:
        case "service":
            target = _service_target(platform, b.service)
            return cf.ServiceBinding(b.name, target, entrypoint=b.entrypoint)
        case "kv":
            return cf.KvBinding(b.name, platform.kv[b.kv].namespace_id)
        case "d1":
            return cf.D1Binding(b.name, platform.d1[b.d1].database_id)
        case "queue":
            return cf.QueueProducerBinding(b.name, _queue_name(platform, b.queue))
        case "secret":
            return cf.SecretsStoreSecretBinding(
                b.name,
                platform.secrets.store_id,
                platform.secrets.secret_names[naming.secret_name(b.secret, env)],
            )
        case "dispatch_namespace":
            return cf.DispatchNamespaceBinding(
                b.name, platform.dispatch[b.dispatch_namespace].namespace_name_output
            )
        case "text":
            return cf.PlainTextBinding(b.name, b.text)
        case "secret_text":
            return cf.SecretTextBinding(b.name, secret_config(b.secret_text))
    raise ValueError(f"unknown binding kind {b.kind}")


def _queue_name(platform: Platform, logical: str) -> pulumi.Output[str]:
    """A queue's name for a producer binding; the queue may be a declared one or a DLQ."""
    if logical in platform.queues:
        return platform.queues[logical].queue_name_output
    for key, q in platform.spec.queues.items():
        if q.dead_letter_queue == logical:
            return platform.queues[key].dead_letter_queue_name_output
    raise KeyError(logical)


def _service_target(platform: Platform, script_name: str) -> cf.bindings.ScriptRef:
    env = platform.spec.environment
    for key, worker in platform.workers.items():
        if naming.physical(key, env) == script_name:
            return worker
    # External, or a declared worker not built yet (a binding cycle): bind by name.
    return cf.ExternalWorker(script_name)


def _build_order(spec: PlatformSpec) -> list[str]:
    """Workers sorted so that a service binding's target (of the stable version or the
    candidate) is deployed before the caller."""
    env = spec.environment
    by_script = {naming.physical(k, env): k for k in spec.workers}
    order: dict[str, None] = {}  # insertion-ordered set
    visiting: set[str] = set()

    def visit(key: str) -> None:
        if key in order or key in visiting:
            return  # done, or a cycle: the back edge binds by name
        visiting.add(key)
        w = spec.workers[key]
        for b in [*w.bindings, *(w.candidate.bindings if w.candidate else [])]:
            if b.kind == "service" and b.service in by_script:
                visit(by_script[b.service])
        visiting.discard(key)
        order[key] = None

    for key in sorted(spec.workers):
        visit(key)
    return list(order)


def _candidate_pin(w: WorkerSpec) -> dict[str, object]:
    """`candidateBundle` (a candidate's own pin) for `plan diff` to read its code change from."""
    if w.candidate is None or w.candidate.bundle is None:
        return {}
    return {"candidateBundle": _pin(w.candidate.bundle)}


def _pin(bundle: BundleSpec) -> dict[str, str]:
    """A worker's bundle pin as the stack exports it: what `plan diff` reads a code change from."""
    return bundle.model_dump(by_alias=True, exclude_none=True)
