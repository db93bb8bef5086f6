"""Type tokens of the resources the rules and the plan diff reason about, and what holds data."""

from __future__ import annotations

D1_DATABASE = "cloudflare:index/d1Database:D1Database"
KV_NAMESPACE = "cloudflare:index/workersKvNamespace:WorkersKvNamespace"
QUEUE = "cloudflare:index/queue:Queue"
QUEUE_CONSUMER = "cloudflare:index/queueConsumer:QueueConsumer"
SECRETS_STORE = "cloudflare:index/secretsStore:SecretsStore"
SECRETS_STORE_SECRET = "cloudflare:index/secretsStoreSecret:SecretsStoreSecret"  # noqa: S105 (a type token)
DISPATCH_NAMESPACE = (
    "cloudflare:index/workersForPlatformsDispatchNamespace:WorkersForPlatformsDispatchNamespace"
)
WORKERS_SCRIPT = "cloudflare:index/workersScript:WorkersScript"
WORKER = "cloudflare:index/worker:Worker"
WORKER_VERSION = "cloudflare:index/workerVersion:WorkerVersion"
WORKERS_DEPLOYMENT = "cloudflare:index/workersDeployment:WorkersDeployment"
BINDING_HOLDERS: frozenset[str] = frozenset({WORKER_VERSION, WORKERS_SCRIPT})
"""Resources that carry a worker's `bindings` (a version, or a script uploaded whole)."""
CUSTOM_DOMAIN = "cloudflare:index/workersCustomDomain:WorkersCustomDomain"
ROUTE53_RECORD = "aws:route53/record:Record"
POSTMARK_SERVER = "pulumi-python:dynamic/postmark:Server"
POSTMARK_DOMAIN = "pulumi-python:dynamic/postmark:Domain"

STATEFUL_TYPES: frozenset[str] = frozenset(
    {
        KV_NAMESPACE,  # keys and values
        D1_DATABASE,  # tables
        QUEUE,  # undelivered messages; DLQs are Queues too
        SECRETS_STORE,  # every secret in the store
        SECRETS_STORE_SECRET,  # write-only value, unrecoverable
        POSTMARK_SERVER,  # tokens, message history, suppressions
        POSTMARK_DOMAIN,  # DKIM key: a new domain needs new DNS + verify
        DISPATCH_NAMESPACE,  # deleting a dispatch namespace deletes every tenant script in it
    }
)
"""Resources whose removal or replacement loses data: protected in prod (rule
stateful-protected-in-prod), flagged as a data-loss risk by `plan diff`."""

MAIL_DNS_COMPONENT = "edge:mail:MailDnsRecords"
"""Route 53 records are stateful inside the mail component: deleting DKIM stops mail."""
