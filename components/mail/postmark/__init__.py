"""The project's own Postmark provider: Pulumi dynamic providers over Postmark's HTTP API.

Credentials come from the environment at call time (POSTMARK_ACCOUNT_TOKEN, optional
POSTMARK_API_URL), never from resource inputs. Verified only against the local
Postmark-compatible server in tools/localcloud/postmark_server.py, not against Postmark itself.
"""

from components.mail.postmark.client import HttpTimeouts, PostmarkClient, RetryPolicy
from components.mail.postmark.domain import (
    DomainProvider,
    PostmarkDomain,
    PostmarkDomainArgs,
    dkim_record_to_publish,
)
from components.mail.postmark.domain_verification import (
    DomainNotVerifiedError,
    DomainVerificationProvider,
    PostmarkDomainVerification,
    PostmarkDomainVerificationArgs,
)
from components.mail.postmark.errors import (
    MissingCredentialsError,
    ParentServerGoneError,
    PostmarkError,
)
from components.mail.postmark.inventory import (
    ServerSummary,
    find_orphan_servers,
    list_servers,
)
from components.mail.postmark.message_stream import (
    MessageStreamProvider,
    PostmarkMessageStream,
    PostmarkMessageStreamArgs,
)
from components.mail.postmark.provider_base import ConnectionSettings
from components.mail.postmark.server import PostmarkServer, PostmarkServerArgs, ServerProvider
from components.mail.postmark.webhook import (
    ContentTrigger,
    OpenTrigger,
    PostmarkWebhook,
    PostmarkWebhookArgs,
    Trigger,
    WebhookHttpAuth,
    WebhookProvider,
    WebhookTriggers,
)

__all__ = [
    "ConnectionSettings",
    "ContentTrigger",
    "DomainNotVerifiedError",
    "DomainProvider",
    "DomainVerificationProvider",
    "HttpTimeouts",
    "MessageStreamProvider",
    "MissingCredentialsError",
    "OpenTrigger",
    "ParentServerGoneError",
    "PostmarkClient",
    "PostmarkDomain",
    "PostmarkDomainArgs",
    "PostmarkDomainVerification",
    "PostmarkDomainVerificationArgs",
    "PostmarkError",
    "PostmarkMessageStream",
    "PostmarkMessageStreamArgs",
    "PostmarkServer",
    "PostmarkServerArgs",
    "PostmarkWebhook",
    "PostmarkWebhookArgs",
    "RetryPolicy",
    "ServerProvider",
    "ServerSummary",
    "Trigger",
    "WebhookHttpAuth",
    "WebhookProvider",
    "WebhookTriggers",
    "dkim_record_to_publish",
    "find_orphan_servers",
    "list_servers",
]
