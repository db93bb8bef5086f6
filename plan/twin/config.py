"""What the twin runs: miniflare's worker options, built from a stack's validated config.

Pure: the platform as `stacks.loader.load` returns it (the same loader and stack file the plan
uses), the secrets' local values, the ports and the user's overrides in; the runner's request
and the listing of what listens where out. Names are physical, as Cloudflare sees them
(`stacks.naming`), so a service binding resolves in the twin exactly when it would resolve on
Cloudflare.

What the twin adds around the stack's own workers:
- a stub per external worker (tools/twin/stubs/external-worker.js: answers 202, records calls),
  replaceable with `--stub NAME=FILE`;
- a stand-in per dispatch namespace (miniflare only proxies namespaces to Cloudflare): a wrapped
  binding whose `get(name)` reaches a stub per declared tenant script;
- a Postmark sink, the POSTMARK_API_URL of workers that bind the Postmark server token (unless
  `--var POSTMARK_API_URL=...` points them elsewhere), so that no mail leaves the machine;
- a queue inspector consuming the queues no worker of the stack consumes (the dead-letter
  queues), so that what lands there can be read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks import naming
from stacks.loader import Bundle, LoadedPlatform
from stacks.schema import PlatformSpec, WorkerSpec

PROJECT_DIR = Path(__file__).resolve().parents[2]
TWIN_DIR = PROJECT_DIR / "tools" / "twin"
HOST = "127.0.0.1"
"""Loopback only: the twin holds local secret values and answers anyone who can reach it."""
STUB_COMPATIBILITY_DATE = "2025-09-01"
POSTMARK_API_URL = "POSTMARK_API_URL"
POSTMARK_SINK = "twin-postmark-sink"
QUEUE_INSPECTOR = "twin-queue-inspector"
INSPECTOR_BATCH_TIMEOUT_SECONDS = 1


class TwinConfigError(Exception):
    """An override (--var, --stub) does not fit the stack."""


@dataclass(frozen=True)
class Endpoint:
    script: str
    port: int
    what: str

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


@dataclass(frozen=True)
class Source:
    """What a worker of the twin runs, for error messages."""

    file: str
    """The file, relative to the project when inside it."""
    key: str | None = None
    """Key path of its bundle in the stack config (`workers.auth.bundle`); None for stubs."""


@dataclass(frozen=True)
class Overrides:
    vars: Mapping[str, str] = field(default_factory=dict)
    """Plain-text bindings set on every worker of the stack (--var NAME=VALUE)."""
    stubs: Mapping[str, Path] = field(default_factory=dict)
    """External worker or tenant script -> the module to run instead of the built-in stub."""


@dataclass(frozen=True)
class Twin:
    stack: str
    workers: list[dict[str, Any]] = field(repr=False)  # bindings hold local secret texts
    endpoints: list[Endpoint]
    secret_seeds: list[dict[str, str]] = field(repr=False)
    sources: dict[str, Source]
    notes: list[str]

    def request(self) -> dict[str, Any]:
        """The runner's request (tools/twin/twin.mjs, mode "dev"); it holds the local values."""
        return {
            "mode": "dev",
            "host": HOST,
            "workers": self.workers,
            "secrets": self.secret_seeds,
            "listen": [e.script for e in self.endpoints],
        }


def secret_names(spec: PlatformSpec) -> list[str]:
    """The names of the secret values the stack's workers bind (see plan.twin.secrets)."""
    names = set()
    for w in spec.workers.values():
        for b in w.bindings:
            if b.secret is not None:
                names.add(b.secret)
            elif b.secret_text is not None:
                names.add(b.secret_text)
    return sorted(names)


def script(name: str, w: WorkerSpec, bundle: Bundle) -> dict[str, Any]:
    """The bundle as workerd loads it: module name, compatibility date and flags."""
    options: dict[str, Any] = {
        "name": name,
        "modules": [{"type": "ESModule", "path": w.main_module, "file": str(bundle.path)}],
        "compatibilityDate": w.compatibility_date,
    }
    if w.compatibility_flags:
        options["compatibilityFlags"] = list(w.compatibility_flags)
    return options


def build(
    loaded: LoadedPlatform,
    *,
    next_port: Callable[[], int],
    local_values: Mapping[str, str],
    overrides: Overrides = Overrides(),
) -> Twin:
    """The twin of `loaded`; `local_values` maps each of `secret_names` to its local value."""
    return _Builder(loaded, next_port, local_values, overrides).build()


class _Builder:
    def __init__(
        self,
        loaded: LoadedPlatform,
        next_port: Callable[[], int],
        local_values: Mapping[str, str],
        overrides: Overrides,
    ):
        self.spec = loaded.spec
        self.env = loaded.spec.environment
        self.bundles = loaded.bundles
        self.next_port = next_port
        self.values = local_values
        self.overrides = overrides
        self.workers: list[dict[str, Any]] = []
        self.endpoints: list[Endpoint] = []
        self.sources: dict[str, Source] = {}
        self.seeds: dict[tuple[str, str], dict[str, str]] = {}
        self.notes: list[str] = []
        self.tenants = {
            tenant: ns
            for ns, nsspec in self.spec.dispatch_namespaces.items()
            for tenant in nsspec.tenant_scripts
        }
        known = set(self.spec.external_workers) | set(self.tenants)
        for name in overrides.stubs:
            if name not in known:
                raise TwinConfigError(
                    f"--stub {name}: not an external worker or tenant script of stack "
                    f"'{self.env}' (those are: {', '.join(sorted(known)) or 'none'})"
                )

    def build(self) -> Twin:
        # Ports in listing order: the stack's workers, external stubs, sink, inspector.
        ports = {naming.physical(k, self.env): self.next_port() for k in self.spec.workers}
        ports |= {name: self.next_port() for name in self.spec.external_workers}
        sink_users = self._postmark_sink_users()
        if sink_users:
            ports[POSTMARK_SINK] = self.next_port()
        held = self._unconsumed_queues()
        if held:
            ports[QUEUE_INSPECTOR] = self.next_port()

        sink_url = f"http://{HOST}:{ports[POSTMARK_SINK]}" if sink_users else None
        for key, w in self.spec.workers.items():
            self._worker(key, w, ports, sink_url if key in sink_users else None)
        for name in self.spec.external_workers:
            self._external(name, ports[name])
        if sink_users:
            users = ", ".join(naming.physical(k, self.env) for k in sink_users)
            self._stub(POSTMARK_SINK, "postmark-sink.js", port=ports[POSTMARK_SINK])
            self._listen(
                POSTMARK_SINK,
                ports,
                f"Postmark sink, the {POSTMARK_API_URL} of {users}: GET /messages",
            )
        if held:
            self._stub(
                QUEUE_INSPECTOR,
                "queue-inspector.js",
                port=ports[QUEUE_INSPECTOR],
                queue_consumers={
                    q: {"maxBatchTimeout": INSPECTOR_BATCH_TIMEOUT_SECONDS, "maxRetries": 0}
                    for q in held
                },
            )
            self._listen(
                QUEUE_INSPECTOR,
                ports,
                f"holds {', '.join(held)} (no consumer in the stack): GET /queues/<name>",
            )
        return Twin(
            stack=self.env,
            workers=self.workers,
            endpoints=self.endpoints,
            secret_seeds=list(self.seeds.values()),
            sources=self.sources,
            notes=self.notes,
        )

    # -- the stack's workers -------------------------------------------------------------------

    def _worker(self, key: str, w: WorkerSpec, ports: dict[str, int], sink_url: str | None):
        name = naming.physical(key, self.env)
        options = script(name, w, self.bundles[key])
        options["port"] = ports[name]
        plain: dict[str, str] = {}
        kinds: dict[str, str] = {}
        for b in w.bindings:
            kinds[b.name] = b.kind
            match b.kind:
                case "text":
                    plain[b.name] = b.text
                case "secret_text":
                    plain[b.name] = self.values[b.secret_text]
                case "service":
                    options.setdefault("serviceBindings", {})[b.name] = self._service(name, b)
                case "kv":
                    options.setdefault("kvNamespaces", {})[b.name] = naming.physical(b.kv, self.env)
                case "d1":
                    options.setdefault("d1Databases", {})[b.name] = naming.physical(b.d1, self.env)
                case "queue":
                    queues = options.setdefault("queueProducers", {})
                    queues[b.name] = naming.physical(b.queue, self.env)
                case "secret":
                    options.setdefault("secretsStoreSecrets", {})[b.name] = self._secret(name, b)
                case "dispatch_namespace":
                    wrapped = options.setdefault("wrappedBindings", {})
                    wrapped[b.name] = {"scriptName": self._namespace(b.dispatch_namespace)}
        for var, value in self.overrides.vars.items():
            if kinds.get(var, "text") != "text":
                raise TwinConfigError(
                    f"--var {var}: workers.{key} binds {var} as a {kinds[var]} binding; "
                    "--var only sets plain-text bindings"
                )
            plain[var] = value
        if sink_url is not None:
            plain[POSTMARK_API_URL] = sink_url
        if plain:
            options["bindings"] = plain
        consumers = {}
        for c in w.consumes:
            settings: dict[str, Any] = {
                "maxBatchSize": c.batch_size,
                "maxBatchTimeout": c.max_wait_time_ms / 1000,
                "maxRetries": c.max_retries,
                "retryDelay": c.retry_delay_seconds,
            }
            dlq = self.spec.queues[c.queue].dead_letter_queue
            if dlq:
                settings["deadLetterQueue"] = naming.physical(dlq, self.env)
            consumers[naming.physical(c.queue, self.env)] = settings
            if c.max_concurrency is not None:
                self.notes.append(
                    f"{name} consumes {naming.physical(c.queue, self.env)} one batch at a time: "
                    f"maxConcurrency {c.max_concurrency} is not emulated"
                )
        if consumers:
            options["queueConsumers"] = consumers
        self.workers.append(options)
        self.sources[name] = Source(w.bundle, key=f"workers.{key}.bundle")
        self._listen(name, ports, f"workers.{key} ({w.bundle})")

    def _service(self, caller: str, b) -> str | dict[str, str]:
        if not b.entrypoint:
            return b.service
        if b.service in self.spec.external_workers and b.service not in self.overrides.stubs:
            self.notes.append(
                f"{caller}'s {b.name} names entrypoint {b.entrypoint} of {b.service}; its stub "
                "has only a default entrypoint, which answers instead"
            )
            return b.service
        return {"name": b.service, "entrypoint": b.entrypoint}

    def _secret(self, worker: str, b) -> dict[str, str]:
        store = self.spec.secrets_store
        store_id = store.id or f"local-{store.name}"
        secret_name = naming.secret_name(b.secret, self.env)
        self.seeds.setdefault(
            (store_id, secret_name),
            {"worker": worker, "binding": b.name, "value": self.values[b.secret]},
        )
        return {"store_id": store_id, "secret_name": secret_name}

    def _postmark_sink_users(self) -> list[str]:
        """Workers that bind the Postmark server token and have no POSTMARK_API_URL of their own."""
        mail = self.spec.mail
        if mail is None or not mail.server_token_secret or POSTMARK_API_URL in self.overrides.vars:
            return []
        return [
            key
            for key, w in self.spec.workers.items()
            if any(b.secret == mail.server_token_secret for b in w.bindings)
            and all(b.name != POSTMARK_API_URL for b in w.bindings)
        ]

    def _unconsumed_queues(self) -> list[str]:
        consumed = {c.queue for w in self.spec.workers.values() for c in w.consumes}
        names = [*self.spec.queues, *(q.dead_letter_queue for q in self.spec.queues.values())]
        return [naming.physical(q, self.env) for q in names if q and q not in consumed]

    # -- what the twin adds --------------------------------------------------------------------

    def _external(self, name: str, port: int) -> None:
        self._stub(name, "external-worker.js", port=port)
        if name in self.overrides.stubs:
            what = f"external worker, runs {self.sources[name].file} (--stub)"
        else:
            what = f"external worker, stub {self.sources[name].file}: GET /__twin/calls"
        self._listen(name, {name: port}, what)

    def _namespace(self, logical: str) -> str:
        physical = naming.physical(logical, self.env)
        wrapper = f"twin-dispatch-{physical}"
        if wrapper in self.sources:
            return wrapper
        tenants = sorted(self.spec.dispatch_namespaces[logical].tenant_scripts)
        services = {}
        for tenant in tenants:
            stub = f"{physical}.{tenant}"
            self._stub(stub, "tenant.js", name=tenant, bindings={"TWIN_NAMESPACE": physical})
            services[f"TENANT_{tenant}"] = stub
        # A wrapped binding's module takes the compatibility settings of the worker binding it.
        self.workers.append(
            {
                "name": wrapper,
                "modules": [_module(TWIN_DIR / "stubs" / "dispatch-namespace.js")],
                "serviceBindings": services,
            }
        )
        self.sources[wrapper] = Source(_shown(TWIN_DIR / "stubs" / "dispatch-namespace.js"))
        listed = ", ".join(
            f"{t} ({'--stub' if t in self.overrides.stubs else 'stub'})" for t in tenants
        )
        self.notes.append(
            f"dispatch namespace {physical}: a stand-in (miniflare has no local dispatch "
            f"namespace); tenant scripts: {listed or 'none declared'}"
        )
        return wrapper

    def _stub(
        self,
        worker: str,
        stub: str,
        *,
        port: int | None = None,
        name: str | None = None,
        bindings: Mapping[str, str] | None = None,
        queue_consumers: Mapping[str, Any] | None = None,
    ) -> None:
        """A twin-provided worker; `name` is what --stub replaces (default: the worker's name)."""
        name = name or worker
        file = self.overrides.stubs.get(name, TWIN_DIR / "stubs" / stub)
        options: dict[str, Any] = {
            "name": worker,
            "modules": [_module(file)],
            "compatibilityDate": STUB_COMPATIBILITY_DATE,
            "bindings": {"TWIN_STUB_NAME": name, **(bindings or {})},
        }
        if queue_consumers:
            options["queueConsumers"] = dict(queue_consumers)
        if port is not None:
            options["port"] = port
        self.workers.append(options)
        self.sources[worker] = Source(_shown(file))

    def _listen(self, name: str, ports: Mapping[str, int], what: str) -> None:
        self.endpoints.append(Endpoint(name, ports[name], what))


def _module(file: Path) -> dict[str, str]:
    return {"type": "ESModule", "path": "index.js", "file": str(file.resolve())}


def _shown(file: Path) -> str:
    file = file.resolve()
    return str(file.relative_to(PROJECT_DIR)) if file.is_relative_to(PROJECT_DIR) else str(file)
