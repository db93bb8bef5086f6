"""Which input changes replace a resource, read from the upstream Terraform provider's schemas.

pulumi-cloudflare 6.x is bridged from cloudflare/terraform-provider-cloudflare; a property
whose schema attribute carries a `RequiresReplace` plan modifier is replaced on change. Each
row below names the schema file it was read from, at tag v5.22.0 (commit a2efdc57…, the newest
tag of that repository when read). Keys are Pulumi property names (camelCase).

Kinds, after the plan modifier:
- ALWAYS: `RequiresReplace()` on the attribute.
- IF_CONFIGURED: `RequiresReplaceIfConfigured()` (and the upstream custom variants of it):
  only a change to a value the program sets replaces; dropping the value does not.
- Nested(fields): the attribute itself has no modifier, but these fields of its elements carry
  `RequiresReplace()`; a change elsewhere in an element updates in place.

Not in the table because v5.22.0 predates them (pulumi-cloudflare 6.23.1 has them): KV
`jurisdiction`/`mode`, Queue `jurisdiction`, SecretsStore `force`, WorkerVersion
`deploy`/`exports`/`include`. They update in place here; confirm against a real preview.
This table is deliberately independent of plan/replace_rules.py, so one can check the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

UPSTREAM_REPOSITORY = "github.com/cloudflare/terraform-provider-cloudflare"
UPSTREAM_TAG = "v5.22.0"
UPSTREAM_COMMIT = "a2efdc5786ae9726d56928dbfe91933bd92404ca"

ALWAYS: Literal["always"] = "always"
IF_CONFIGURED: Literal["if_configured"] = "if_configured"


@dataclass(frozen=True)
class Nested:
    fields: tuple[str, ...]


Kind = Literal["always", "if_configured"] | Nested


@dataclass(frozen=True)
class ReplaceRules:
    schema: str
    """The upstream schema file the rules were read from."""
    properties: dict[str, Kind]


def _schema(service: str) -> str:
    return f"internal/services/{service}/schema.go"


REPLACE_ON_CHANGE: dict[str, ReplaceRules] = {
    "cloudflare:index/workersKvNamespace:WorkersKvNamespace": ReplaceRules(
        _schema("workers_kv_namespace"), {"accountId": ALWAYS}
    ),
    "cloudflare:index/d1Database:D1Database": ReplaceRules(
        _schema("d1_database"),
        {
            "accountId": ALWAYS,
            "name": ALWAYS,
            "jurisdiction": ALWAYS,
            "primaryLocationHint": ALWAYS,
        },
    ),
    "cloudflare:index/queue:Queue": ReplaceRules(_schema("queue"), {"accountId": ALWAYS}),
    "cloudflare:index/queueConsumer:QueueConsumer": ReplaceRules(
        _schema("queue_consumer"), {"accountId": ALWAYS, "queueId": ALWAYS}
    ),
    "cloudflare:index/secretsStore:SecretsStore": ReplaceRules(
        _schema("secrets_store"), {"accountId": ALWAYS, "name": ALWAYS}
    ),
    "cloudflare:index/secretsStoreSecret:SecretsStoreSecret": ReplaceRules(
        _schema("secrets_store_secret"),
        {"accountId": ALWAYS, "storeId": ALWAYS, "name": ALWAYS},
    ),
    "cloudflare:index/workersForPlatformsDispatchNamespace:WorkersForPlatformsDispatchNamespace": (
        ReplaceRules(
            _schema("workers_for_platforms_dispatch_namespace"),
            {"accountId": ALWAYS, "name": ALWAYS},
        )
    ),
    "cloudflare:index/workersScript:WorkersScript": ReplaceRules(
        _schema("workers_script"), {"accountId": ALWAYS, "scriptName": ALWAYS}
    ),
    "cloudflare:index/workersCustomDomain:WorkersCustomDomain": ReplaceRules(
        _schema("workers_custom_domain"),
        {
            "accountId": ALWAYS,
            "hostname": ALWAYS,
            "service": ALWAYS,
            "environment": IF_CONFIGURED,
            "zoneId": IF_CONFIGURED,
            "zoneName": IF_CONFIGURED,
        },
    ),
    # `name` has no modifier: a rename keeps the Worker's id.
    "cloudflare:index/worker:Worker": ReplaceRules(_schema("worker"), {"accountId": ALWAYS}),
    "cloudflare:index/workerVersion:WorkerVersion": ReplaceRules(
        _schema("worker_version"),
        {
            "accountId": ALWAYS,
            "workerId": ALWAYS,
            "compatibilityDate": ALWAYS,
            "mainModule": ALWAYS,
            "containers": ALWAYS,
            "migrations": ALWAYS,
            "packageDependencies": ALWAYS,
            "placement": ALWAYS,
            # modules[].content_type, name and content_sha256 (computed from the file).
            "modules": Nested(("name", "contentType", "contentSha256")),
            "usageModel": IF_CONFIGURED,
            "compatibilityFlags": IF_CONFIGURED,
            "annotations": IF_CONFIGURED,  # ...IgnoringComputedDiff("workers_triggered_by")
            "assets": IF_CONFIGURED,
            "bindings": IF_CONFIGURED,  # ...IgnoringSensitiveTextDiff (see resources/workers)
            "cacheOptions": IF_CONFIGURED,
            "limits": IF_CONFIGURED,
        },
    ),
    "cloudflare:index/workersDeployment:WorkersDeployment": ReplaceRules(
        _schema("workers_deployment"),
        {
            "accountId": ALWAYS,
            "scriptName": ALWAYS,
            "strategy": ALWAYS,
            "versions": ALWAYS,
            "annotations": IF_CONFIGURED,
        },
    ),
}
