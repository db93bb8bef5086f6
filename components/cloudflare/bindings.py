"""Typed Worker bindings and their wire shape (WorkerVersion and WorkersScript share it).

Each class is one Cloudflare binding type; `to_wire_binding` is the only place that knows the
pulumi-cloudflare field names for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pulumi


class ScriptRef(Protocol):
    """Anything a service binding can call: a Worker declared here or an ExternalWorker."""

    @property
    def service_name(self) -> pulumi.Input[str]:
        """The script name; for a declared Worker an output, so the binding waits for it."""
        ...


@dataclass(frozen=True)
class ExternalWorker:
    """A worker owned elsewhere (e.g. the legacy cosmos-mail-worker), referenced by name only."""

    script_name: str

    @property
    def service_name(self) -> str:
        return self.script_name


@dataclass(frozen=True)
class ServiceBinding:
    name: str
    target: ScriptRef
    """The worker the binding calls."""
    entrypoint: str | None = None
    """Named WorkerEntrypoint class of the target, if not its default export."""


@dataclass(frozen=True)
class KvBinding:
    name: str
    namespace_id: pulumi.Input[str]


@dataclass(frozen=True)
class D1Binding:
    name: str
    database_id: pulumi.Input[str]


@dataclass(frozen=True)
class QueueProducerBinding:
    name: str
    queue_name: pulumi.Input[str]


@dataclass(frozen=True)
class SecretsStoreSecretBinding:
    name: str
    store_id: pulumi.Input[str]
    secret_name: pulumi.Input[str]


@dataclass(frozen=True)
class DispatchNamespaceBinding:
    name: str
    namespace: pulumi.Input[str]


@dataclass(frozen=True)
class PlainTextBinding:
    name: str
    text: str


@dataclass(frozen=True)
class SecretTextBinding:
    name: str
    text: pulumi.Output[str]
    """A Pulumi secret output; it stays secret in state and in every plan."""


Binding = (
    ServiceBinding
    | KvBinding
    | D1Binding
    | QueueProducerBinding
    | SecretsStoreSecretBinding
    | DispatchNamespaceBinding
    | PlainTextBinding
    | SecretTextBinding
)


def to_wire_binding(binding: Binding) -> dict:
    """The `bindings[]` entry of a WorkerVersion (or WorkersScript) for one binding."""
    match binding:
        case ServiceBinding(name, target, entrypoint):
            entry = {"name": name, "type": "service", "service": target.service_name}
            if entrypoint:
                entry["entrypoint"] = entrypoint
            return entry
        case KvBinding(name, namespace_id):
            return {"name": name, "type": "kv_namespace", "namespace_id": namespace_id}
        case D1Binding(name, database_id):
            return {"name": name, "type": "d1", "id": database_id}
        case QueueProducerBinding(name, queue_name):
            return {"name": name, "type": "queue", "queue_name": queue_name}
        case SecretsStoreSecretBinding(name, store_id, secret_name):
            return {
                "name": name,
                "type": "secrets_store_secret",
                "store_id": store_id,
                "secret_name": secret_name,
            }
        case DispatchNamespaceBinding(name, namespace):
            return {"name": name, "type": "dispatch_namespace", "namespace": namespace}
        case PlainTextBinding(name, text):
            return {"name": name, "type": "plain_text", "text": text}
        case SecretTextBinding(name, text):
            return {"name": name, "type": "secret_text", "text": pulumi.Output.secret(text)}
    raise TypeError(f"unsupported binding {binding!r}")
