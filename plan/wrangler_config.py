"""The `wrangler.jsonc` a developer needs for `wrangler dev` of one worker of a stack.

Pure functions: a validated platform config and the stack's outputs (`pulumi stack output
--json`) in, a JSON-able dict and its JSONC text out. Names come from the config (through
`stacks.naming`, the same rule the program uses), ids from the outputs; nothing here reads a
secret value, and `secretText` bindings are only listed by name.

Wrangler field names, as documented by Cloudflare (checked against cloudflare/cloudflare-docs):
- developers.cloudflare.com/workers/wrangler/configuration/ : `name`, `main`,
  `compatibility_date`, `compatibility_flags`, `account_id`, `no_bundle`, `vars`,
  `kv_namespaces[{binding, id}]`, `d1_databases[{binding, database_name, database_id}]`,
  `queues.producers[{binding, queue}]`, `queues.consumers[{queue, max_batch_size,
  max_batch_timeout (seconds), max_retries, dead_letter_queue, max_concurrency, retry_delay
  (seconds)}]`, `services[{binding, service, entrypoint}]`,
  `dispatch_namespaces[{binding, namespace}]`.
- developers.cloudflare.com/secrets-store/integrations/workers/ :
  `secrets_store_secrets[{binding, store_id, secret_name}]`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stacks import naming
from stacks.schema import BindingSpec, ConsumerSpec, PlatformSpec

SOURCES = (
    "https://developers.cloudflare.com/workers/wrangler/configuration/ (name, main, "
    "compatibility_*, no_bundle, vars, kv_namespaces, d1_databases, queues, services, "
    "dispatch_namespaces)",
    "https://developers.cloudflare.com/secrets-store/integrations/workers/ "
    "(secrets_store_secrets: binding, store_id, secret_name)",
)


class UnknownWorkerError(Exception):
    """The worker asked for is not one this stack declares."""


class OutputsError(Exception):
    """The outputs file lacks ids the worker's bindings need, or belongs to another stack."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class SecretTextBinding:
    name: str
    """Binding name the worker reads (`env.NAME`)."""
    config_key: str
    """Stack config key the stack deploys it from (a key name, never its value)."""


@dataclass(frozen=True)
class WranglerConfig:
    worker: str
    """Logical name of the worker (its key under `workers`)."""
    config: dict[str, Any]
    """The wrangler configuration object, keys in a fixed order, lists sorted."""
    secret_text: list[SecretTextBinding] = field(default_factory=list)
    """Bindings deliberately left out: set them with `wrangler secret put` / `.dev.vars`."""


def find_worker(spec: PlatformSpec, name: str) -> str:
    """The logical name of worker `name`, given as logical name or script name."""
    if name in spec.workers:
        return name
    for key in spec.workers:
        if naming.physical(key, spec.environment) == name:
            return key
    declared = ", ".join(
        f"{key} ({naming.physical(key, spec.environment)})" for key in sorted(spec.workers)
    )
    message = f"worker '{name}' is not in stack '{spec.environment}'"
    if name in spec.external_workers:
        message += " (it is listed under externalWorkers: owned elsewhere, configure it there)"
    raise UnknownWorkerError(f"{message}; its workers: {declared or 'none'}")


def build(
    spec: PlatformSpec,
    worker: str,
    outputs: Mapping[str, Any],
    *,
    main: str,
    prebuilt: bool,
) -> WranglerConfig:
    """The wrangler config of `worker` (a logical name) with the same bindings as the stack.

    main: the entry module path as wrangler should see it (relative to the config file).
    prebuilt: `main` is the already-built bundle the stack uploads, so wrangler must not bundle.
    Raises OutputsError listing every id missing from `outputs`.
    """
    env = spec.environment
    w = spec.workers[worker]
    ids = _Outputs(outputs)
    ids.check_stack(spec)

    config: dict[str, Any] = {
        "name": naming.physical(worker, env),
        "main": main,
    }
    if prebuilt:
        config["no_bundle"] = True
    config["compatibility_date"] = w.compatibility_date
    if w.compatibility_flags:
        config["compatibility_flags"] = list(w.compatibility_flags)
    config["account_id"] = spec.account_id

    kv, d1, producers, services, secrets, dispatch = [], [], [], [], [], []
    plain: dict[str, str] = {}
    secret_text: list[SecretTextBinding] = []
    for b in sorted(w.bindings, key=lambda b: b.name):
        match b.kind:
            case "kv":
                kv.append({"binding": b.name, "id": ids.get(b, "kvNamespaces", b.kv, "id")})
                ids.expect_name(b, naming.physical(b.kv, env), "kvNamespaces", b.kv, "title")
            case "d1":
                d1.append(
                    {
                        "binding": b.name,
                        "database_name": naming.physical(b.d1, env),
                        "database_id": ids.get(b, "d1Databases", b.d1, "id"),
                    }
                )
                ids.expect_name(b, naming.physical(b.d1, env), "d1Databases", b.d1, "name")
            case "queue":
                producers.append({"binding": b.name, "queue": naming.physical(b.queue, env)})
            case "service":
                service = {"binding": b.name, "service": b.service}
                if b.entrypoint:
                    service["entrypoint"] = b.entrypoint
                services.append(service)
            case "secret":
                secrets.append(
                    {
                        "binding": b.name,
                        "store_id": ids.get(b, "secretsStore", "id"),
                        "secret_name": naming.secret_name(b.secret, env),
                    }
                )
            case "dispatch_namespace":
                dispatch.append(
                    {"binding": b.name, "namespace": naming.physical(b.dispatch_namespace, env)}
                )
            case "text":
                plain[b.name] = b.text
            case "secret_text":
                secret_text.append(SecretTextBinding(b.name, b.secret_text))
            case other:  # pragma: no cover - BINDING_KINDS is closed
                raise ValueError(f"unknown binding kind {other}")

    consumers = [_consumer(spec, c) for c in sorted(w.consumes, key=lambda c: c.queue)]
    ids.raise_if_missing()

    if kv:
        config["kv_namespaces"] = kv
    if d1:
        config["d1_databases"] = d1
    if producers or consumers:
        queues: dict[str, Any] = {}
        if producers:
            queues["producers"] = producers
        if consumers:
            queues["consumers"] = consumers
        config["queues"] = queues
    if services:
        config["services"] = services
    if secrets:
        config["secrets_store_secrets"] = secrets
    if dispatch:
        config["dispatch_namespaces"] = dispatch
    if plain:
        config["vars"] = plain
    return WranglerConfig(worker=worker, config=config, secret_text=secret_text)


def render_jsonc(result: WranglerConfig, header: list[str]) -> str:
    """JSONC text: `//` comment lines, then the config as indented JSON."""
    lines = [f"// {line}" if line else "//" for line in header]
    body = json.dumps(result.config, indent=2, ensure_ascii=False)
    return "\n".join([*lines, body]) + "\n"


def _consumer(spec: PlatformSpec, c: ConsumerSpec) -> dict[str, Any]:
    env = spec.environment
    consumer: dict[str, Any] = {
        "queue": naming.physical(c.queue, env),
        "max_batch_size": c.batch_size,
        # Cloudflare's API takes milliseconds (max_wait_time_ms); wrangler takes seconds.
        "max_batch_timeout": _seconds(c.max_wait_time_ms),
        "max_retries": c.max_retries,
        "retry_delay": c.retry_delay_seconds,
    }
    dlq = spec.queues[c.queue].dead_letter_queue
    if dlq:
        consumer["dead_letter_queue"] = naming.physical(dlq, env)
    if c.max_concurrency is not None:  # unset lets Cloudflare autoscale, as in the stack
        consumer["max_concurrency"] = c.max_concurrency
    return consumer


def _seconds(ms: int) -> int | float:
    return ms // 1000 if ms % 1000 == 0 else ms / 1000


class _Outputs:
    """Looks ids up in the outputs, collecting every missing key path before failing."""

    def __init__(self, outputs: Mapping[str, Any]):
        self._outputs = outputs
        self._problems: list[str] = []
        self._missing: set[str] = set()

    def check_stack(self, spec: PlatformSpec) -> None:
        env = self._outputs.get("environment")
        if env is not None and env != spec.environment:
            self._problems.append(f"the outputs are of the '{env}' stack, not '{spec.environment}'")
        account = self._outputs.get("accountId")
        if account is not None and account != spec.account_id:
            self._problems.append(
                f"`accountId` is {account}, but the stack config's account is {spec.account_id}"
            )
        self.raise_if_missing()

    def get(self, b: BindingSpec, *path: str) -> str:
        node: Any = self._outputs
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, str) and node:
            return node
        key = ".".join(path)
        if key not in self._missing:
            self._missing.add(key)
            self._problems.append(f"no `{key}` (needed by binding {b.name})")
        return ""

    def expect_name(self, b: BindingSpec, name: str, *path: str) -> None:
        """The id belongs to the resource named `name`, or the outputs are stale."""
        node: Any = self._outputs
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, str) and node != name:
            self._problems.append(
                f"`{'.'.join(path)}` is '{node}' but the config names it '{name}' (binding "
                f"{b.name}): the outputs predate the config; run `pulumi up` first"
            )

    def raise_if_missing(self) -> None:
        if self._problems:
            raise OutputsError(list(self._problems))
