"""Reusable Cloudflare components. They know nothing about this platform."""

from components.cloudflare.bindings import (
    Binding,
    D1Binding,
    DispatchNamespaceBinding,
    ExternalWorker,
    KvBinding,
    PlainTextBinding,
    QueueProducerBinding,
    SecretsStoreSecretBinding,
    SecretTextBinding,
    ServiceBinding,
)
from components.cloudflare.d1 import D1Database, D1DatabaseArgs
from components.cloudflare.dispatch import DispatchNamespace, DispatchNamespaceArgs
from components.cloudflare.kv import KvNamespace, KvNamespaceArgs
from components.cloudflare.queue import (
    ConsumerSettings,
    QueueWithDeadLetter,
    QueueWithDeadLetterArgs,
)
from components.cloudflare.secrets import SecretsStoreSecrets, SecretsStoreSecretsArgs, StoreSecret
from components.cloudflare.worker import (
    Annotations,
    CustomDomain,
    VersionArgs,
    Worker,
    WorkerArgs,
)

__all__ = [
    "Annotations",
    "Binding",
    "ConsumerSettings",
    "CustomDomain",
    "D1Binding",
    "D1Database",
    "D1DatabaseArgs",
    "DispatchNamespace",
    "DispatchNamespaceArgs",
    "DispatchNamespaceBinding",
    "ExternalWorker",
    "KvBinding",
    "KvNamespace",
    "KvNamespaceArgs",
    "PlainTextBinding",
    "QueueProducerBinding",
    "QueueWithDeadLetter",
    "QueueWithDeadLetterArgs",
    "SecretTextBinding",
    "SecretsStoreSecretBinding",
    "SecretsStoreSecrets",
    "SecretsStoreSecretsArgs",
    "ServiceBinding",
    "StoreSecret",
    "VersionArgs",
    "Worker",
    "WorkerArgs",
]
