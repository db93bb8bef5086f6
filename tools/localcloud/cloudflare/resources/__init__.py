"""Every `cloudflare:index/...` type the plugin serves, by type token."""

from __future__ import annotations

from tools.localcloud.cloudflare.resources.base import ResourceType
from tools.localcloud.cloudflare.resources.queues import Queue, QueueConsumer
from tools.localcloud.cloudflare.resources.scripts import (
    WorkersCustomDomain,
    WorkersForPlatformsDispatchNamespace,
    WorkersScript,
)
from tools.localcloud.cloudflare.resources.secrets import SecretsStore, SecretsStoreSecret
from tools.localcloud.cloudflare.resources.storage import D1Database, WorkersKvNamespace
from tools.localcloud.cloudflare.resources.workers import Worker, WorkersDeployment, WorkerVersion

RESOURCE_TYPES: dict[str, ResourceType] = {
    t.pulumi_type: t
    for t in (
        WorkersKvNamespace(),
        D1Database(),
        Queue(),
        QueueConsumer(),
        SecretsStore(),
        SecretsStoreSecret(),
        WorkersForPlatformsDispatchNamespace(),
        WorkersScript(),
        WorkersCustomDomain(),
        Worker(),
        WorkerVersion(),
        WorkersDeployment(),
    )
}
