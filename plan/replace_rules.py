"""What a change does to a resource of the types this project uses: replace, and lose data.

The offline diff cannot ask a provider, so it decides from these tables. Keys are the input names
as the manifest records them: camelCase for bridged providers (pulumi-cloudflare, pulumi-aws),
the given snake_case keys for the project's Postmark dynamic resources (a dynamic resource's
inputs are registered exactly as its props dict spells them).

Sources (see /work/shared/reference/ for the notes):
  [TF]  cloudflare/terraform-provider-cloudflare v5.22.0 `internal/services/<svc>/schema.go`
        (`RequiresReplace`); pulumi-cloudflare v6 is bridged from it. Summarised in
        reference/pulumi-cloudflare-aws.md §1.1.
  [AWS] hashicorp/terraform-provider-aws `aws_route53_record`: `zone_id` and `name` ForceNew
        (reference/pulumi-cloudflare-aws.md §3).
  [PM]  Postmark API docs via reference/postmark-api.md, and the project's own dynamic providers
        (components/mail/postmark/*: each provider's `replace_on`), which these rows mirror.
"""

from __future__ import annotations

from plan.manifest import Resource

CLOUDFLARE_ACCOUNT_ID = "accountId"
"""[TF] Every Cloudflare resource takes account_id, and changing it always forces replacement."""

REPLACE_ON_CHANGE: dict[str, frozenset[str]] = {
    # [TF] d1: name, jurisdiction and primary_location_hint RequiresReplace -> a new, EMPTY
    # database; only read_replication updates in place.
    "cloudflare:index/d1Database:D1Database": frozenset(
        {"name", "primaryLocationHint", "jurisdiction"}
    ),
    # [TF] workers_script: script_name RequiresReplace; content, bindings, compatibility date and
    # flags are an in-place re-upload.
    "cloudflare:index/workersScript:WorkersScript": frozenset({"scriptName"}),
    # [TF] secrets_store: name RequiresReplace.
    "cloudflare:index/secretsStore:SecretsStore": frozenset({"name"}),
    # [TF] secrets_store_secret: store_id and name RequiresReplace; value/scopes/comment in place.
    "cloudflare:index/secretsStoreSecret:SecretsStoreSecret": frozenset({"storeId", "name"}),
    # [TF] workers_for_platforms_dispatch_namespace: name RequiresReplace.
    "cloudflare:index/workersForPlatformsDispatchNamespace:WorkersForPlatformsDispatchNamespace": (
        frozenset({"name"})
    ),
    # [TF] queue_consumer: queue_id RequiresReplace; settings, script, DLQ in place (cf-tf #6998).
    "cloudflare:index/queueConsumer:QueueConsumer": frozenset({"queueId"}),
    # [TF] workers_kv_namespace (title) and queue (queue_name) rename IN PLACE: not listed.
    # [AWS] route53 record: zone_id and name ForceNew.
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

STATEFUL_TYPES: frozenset[str] = frozenset(
    {
        "cloudflare:index/workersKvNamespace:WorkersKvNamespace",  # keys and values
        "cloudflare:index/d1Database:D1Database",  # tables
        "cloudflare:index/queue:Queue",  # undelivered messages; DLQs are Queues too
        "cloudflare:index/secretsStore:SecretsStore",  # every secret in the store
        "cloudflare:index/secretsStoreSecret:SecretsStoreSecret",  # write-only value, unrecoverable
        "pulumi-python:dynamic/postmark:Server",  # tokens, message history, suppressions
        "pulumi-python:dynamic/postmark:Domain",  # DKIM key: a new domain needs new DNS + verify
        # Deleting a dispatch namespace deletes every tenant script in it.
        "cloudflare:index/workersForPlatformsDispatchNamespace:WorkersForPlatformsDispatchNamespace",
    }
)

MAIL_DNS_COMPONENT = "edge:mail:MailDnsRecords"
"""Route 53 records are stateful only inside the mail component: deleting DKIM stops mail."""
ROUTE53_RECORD = "aws:route53/record:Record"


def replace_keys(type_: str) -> frozenset[str]:
    """Top-level inputs of `type_` whose change replaces the resource."""
    keys = REPLACE_ON_CHANGE.get(type_, frozenset())
    if type_.startswith("cloudflare:"):
        keys = keys | {CLOUDFLARE_ACCOUNT_ID}
    return keys


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
