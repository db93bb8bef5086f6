"""What a change does to a resource of the types this project uses: replace, and lose data.

What holds data (`STATEFUL_TYPES`) is stacks.guards.resource_types', shared with the rule that
keeps those resources protected in prod.

The offline diff cannot ask a provider, so it decides from these tables. Keys are the input names
as the manifest records them: camelCase for bridged providers (pulumi-cloudflare, pulumi-aws),
the given snake_case keys for the project's Postmark dynamic resources (a dynamic resource's
inputs are registered exactly as its props dict spells them).

Sources, each read at the commit named here (what was read, attribute by attribute, is in
tests/plan_diff/fixtures/upstream_requires_replace.json, and the tests hold this table to it):
  [TF]  cloudflare/terraform-provider-cloudflare, tag v5.22.0 (commit a2efdc5786ae), file
        `internal/services/<resource>/schema.go` of each resource: the attributes whose
        `PlanModifiers` hold `stringplanmodifier.RequiresReplace()` replace on any change;
        those with `RequiresReplaceIfConfigured()` replace only when the program sets a value
        (dropping the value keeps the old one). pulumi-cloudflare v6 is bridged from this
        provider: a RequiresReplace attribute is a "forces replacement" input. Computed-only
        attributes with RequiresReplace (`id`, a dispatch namespace's `namespace_name`) are never
        inputs and are left out. pulumi-cloudflare 6.23.1 also has inputs v5.22.0 lacks (KV
        `jurisdiction` and `mode`, Queue `jurisdiction`, SecretsStore `force`); the program sets
        none of them, and their replace behaviour is unconfirmed.
  [AWS] hashicorp/terraform-provider-aws (commit 00655c1681ea), file
        `internal/service/route53/record.go`: `name` and `zone_id` are `ForceNew`.
  [PM]  Postmark's API documentation and the project's own dynamic providers
        (components/mail/postmark/*: each provider's `replace_on`), which these rows mirror.
"""

from __future__ import annotations

from plan.manifest import Resource
from stacks.guards.resource_types import MAIL_DNS_COMPONENT, ROUTE53_RECORD, STATEFUL_TYPES

CLOUDFLARE_ACCOUNT_ID = "accountId"
"""[TF] `account_id` is RequiresReplace in every Cloudflare resource this project uses."""

REPLACE_ON_CHANGE: dict[str, frozenset[str]] = {
    # [TF] internal/services/d1_database/schema.go: `name`, `jurisdiction`,
    # `primary_location_hint` RequiresReplace() -> a new, EMPTY database; `read_replication`
    # updates in place.
    "cloudflare:index/d1Database:D1Database": frozenset(
        {"name", "primaryLocationHint", "jurisdiction"}
    ),
    # [TF] internal/services/workers_script/schema.go: `script_name` RequiresReplace(); content,
    # bindings, compatibility date and flags are an in-place re-upload.
    "cloudflare:index/workersScript:WorkersScript": frozenset({"scriptName"}),
    # [TF] internal/services/worker/schema.go: only `account_id`; a rename keeps the Worker.
    "cloudflare:index/worker:Worker": frozenset(),
    # [TF] internal/services/worker_version/schema.go: a version is immutable. `worker_id`,
    # `compatibility_date`, `main_module`, `containers`, `migrations`, `package_dependencies`,
    # `placement` RequiresReplace(); `modules` through its elements' name, content_type and
    # content_sha256 (a new content_file path alone is not, which this table does not tell).
    "cloudflare:index/workerVersion:WorkerVersion": frozenset(
        {
            "workerId",
            "compatibilityDate",
            "mainModule",
            "containers",
            "migrations",
            "modules",
            "packageDependencies",
            "placement",
        }
    ),
    # [TF] internal/services/workers_deployment/schema.go: `script_name`, `strategy`, `versions`
    # RequiresReplace(): every new split is a new deployment (the old one stays in history).
    "cloudflare:index/workersDeployment:WorkersDeployment": frozenset(
        {"scriptName", "strategy", "versions"}
    ),
    # [TF] internal/services/workers_custom_domain/schema.go: `hostname`, `service`
    # RequiresReplace() (`zone_id`, `zone_name`, `environment`: REPLACE_IF_CONFIGURED).
    "cloudflare:index/workersCustomDomain:WorkersCustomDomain": frozenset({"hostname", "service"}),
    # [TF] internal/services/secrets_store/schema.go: `name` RequiresReplace().
    "cloudflare:index/secretsStore:SecretsStore": frozenset({"name"}),
    # [TF] internal/services/secrets_store_secret/schema.go: `store_id`, `name`
    # RequiresReplace(); `value`, `scopes`, `comment` in place.
    "cloudflare:index/secretsStoreSecret:SecretsStoreSecret": frozenset({"storeId", "name"}),
    # [TF] internal/services/workers_for_platforms_dispatch_namespace/schema.go: `name`
    # RequiresReplace() (`namespace_name` too, but it is computed: never an input).
    "cloudflare:index/workersForPlatformsDispatchNamespace:WorkersForPlatformsDispatchNamespace": (
        frozenset({"name"})
    ),
    # [TF] internal/services/queue_consumer/schema.go: `queue_id` RequiresReplace();
    # `script_name`, `settings`, `dead_letter_queue`, `type` in place.
    "cloudflare:index/queueConsumer:QueueConsumer": frozenset({"queueId"}),
    # [TF] internal/services/workers_kv_namespace/schema.go and queue/schema.go: only
    # `account_id` RequiresReplace(); a `title` / `queue_name` rename is in place.
    "cloudflare:index/workersKvNamespace:WorkersKvNamespace": frozenset(),
    "cloudflare:index/queue:Queue": frozenset(),
    # [AWS] internal/service/route53/record.go: `zone_id`, `name` ForceNew.
    "aws:route53/record:Record": frozenset({"zoneId", "name"}),
    # [PM] DeliveryType is create-only ("cannot be changed after creation", server-api);
    # components/mail/postmark/server.py `_REPLACE_ON`.
    "pulumi-python:dynamic/postmark:Server": frozenset({"delivery_type"}),
    # [PM] PUT /domains/{id} edits only ReturnPathDomain: Name is immutable (domains-api).
    "pulumi-python:dynamic/postmark:Domain": frozenset({"name"}),
    # [PM] A stream's ID and MessageStreamType cannot change after creation (support 1215); a
    # stream lives on one server. message_stream.py `_REPLACE_ON`.
    "pulumi-python:dynamic/postmark:MessageStream": frozenset(
        {"stream_id", "stream_type", "server_id"}
    ),
    # [PM] MessageStream is sent on create only (postmark.js), so treat it as immutable; a
    # webhook belongs to one server (server-token API). webhook.py `replace_on`.
    "pulumi-python:dynamic/postmark:Webhook": frozenset({"message_stream", "server_id"}),
    # [PM] Verification is of one domain: domain_verification.py `replace_on`.
    "pulumi-python:dynamic/postmark:DomainVerification": frozenset({"domain_id"}),
}

REPLACE_IF_CONFIGURED: dict[str, frozenset[str]] = {
    # [TF] internal/services/worker_version/schema.go: RequiresReplaceIfConfigured() and its
    # variants (bindings ignoring a sensitive text state does not hold; annotations ignoring the
    # computed `workers_triggered_by`).
    "cloudflare:index/workerVersion:WorkerVersion": frozenset(
        {
            "annotations",
            "assets",
            "bindings",
            "cacheOptions",
            "compatibilityFlags",
            "limits",
            "usageModel",
        }
    ),
    # [TF] internal/services/workers_deployment/schema.go: `annotations`
    # RequiresReplaceIfConfigured().
    "cloudflare:index/workersDeployment:WorkersDeployment": frozenset({"annotations"}),
    # [TF] internal/services/workers_custom_domain/schema.go: `zone_id`, `zone_name`,
    # `environment` RequiresReplaceIfConfigured(). Optional and computed: a value the program
    # sets replaces on change; one it stops setting keeps the old value.
    "cloudflare:index/workersCustomDomain:WorkersCustomDomain": frozenset(
        {"zoneId", "zoneName", "environment"}
    ),
}


def replace_keys(type_: str) -> frozenset[str]:
    """Top-level inputs of `type_` whose change replaces the resource, whatever the new value."""
    keys = REPLACE_ON_CHANGE.get(type_, frozenset())
    if type_.startswith("cloudflare:"):
        keys = keys | {CLOUDFLARE_ACCOUNT_ID}
    return keys


def replace_if_configured_keys(type_: str) -> frozenset[str]:
    """Top-level inputs of `type_` whose change replaces it only when the new value is set."""
    return REPLACE_IF_CONFIGURED.get(type_, frozenset())


def is_stateful(resource: Resource) -> bool:
    """Whether deleting (or replacing) `resource` loses data someone depends on."""
    if not resource.custom:
        return False
    if resource.type in STATEFUL_TYPES:
        return True
    return resource.type == ROUTE53_RECORD and _parent_type(resource) == MAIL_DNS_COMPONENT


def _parent_type(resource: Resource) -> str | None:
    if not resource.parent:
        return None
    qualified = resource.parent.split("::")[2]
    return qualified.split("$")[-1]
