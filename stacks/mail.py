"""Mail delivery of one stack: Postmark server and domain, its Route 53 records, verification,
the webhook to the mail worker, and the server token for the Secrets Store."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.mail.postmark import (
    ContentTrigger,
    PostmarkDomain,
    PostmarkDomainArgs,
    PostmarkDomainVerification,
    PostmarkDomainVerificationArgs,
    PostmarkServer,
    PostmarkServerArgs,
    PostmarkWebhook,
    PostmarkWebhookArgs,
    Trigger,
    WebhookTriggers,
)
from components.mail.route53 import MailDnsRecords, MailDnsRecordsArgs
from components.safety import DataSafety
from stacks import naming
from stacks.schema import PlatformSpec
from stacks.secret_config import SecretConfig


class MailDelivery(pulumi.ComponentResource):
    """Everything that makes one stack's sending domain deliver mail."""

    def __init__(self, spec: PlatformSpec, secret_config: SecretConfig, safety: DataSafety):
        super().__init__("edge:mail:MailDelivery", "mail", None, None)
        mail = spec.mail
        assert mail is not None
        self._spec = spec
        self._secret_config = secret_config
        env = spec.environment
        # Prod protects server and domain, and retains them if ever replaced: a replacement
        # would otherwise delete the server's history and the domain's verified DKIM key.
        guard = pulumi.ResourceOptions(
            parent=self, protect=safety.protect, retain_on_delete=safety.retain_on_delete
        )
        self.server_name = naming.postmark_server_name(mail.server_prefix, env, mail.sending_domain)
        self.return_path_domain = f"{mail.return_path_subdomain}.{mail.sending_domain}"
        self.server = PostmarkServer(
            "mail-server",
            PostmarkServerArgs(
                name=self.server_name, delivery_type="Live", adopt=mail.adopt_existing_server
            ),
            opts=guard,
        )
        self.domain = PostmarkDomain(
            "mail-domain",
            PostmarkDomainArgs(
                name=mail.sending_domain, return_path_domain=self.return_path_domain
            ),
            opts=guard,
        )
        self.records = MailDnsRecords(
            "mail-dns",
            MailDnsRecordsArgs(
                zone_id=mail.hosted_zone_id,
                sending_domain=mail.sending_domain,
                dkim_host=self.domain.dkim_host,
                dkim_value=self.domain.dkim_text_value,
                return_path_domain=self.return_path_domain,
                return_path_target=self.domain.return_path_cname_value,
                dmarc_policy=mail.dmarc.policy,
                dmarc_rua=mail.dmarc.rua,
                spf=mail.spf,
                inbound_mx=mail.inbound_mx,
                # Retained too: a replaced DKIM record (key rotation) stays in DNS until Postmark
                # says the revoked key is safe to remove.
                safety=safety,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.verification = PostmarkDomainVerification(
            "mail-domain-verification",
            PostmarkDomainVerificationArgs(
                domain_id=self.domain.domain_id,
                dkim_host=self.domain.dkim_host,
                dkim_text_value=self.domain.dkim_text_value,
                return_path_domain=self.return_path_domain,
                return_path_cname_value=self.domain.return_path_cname_value,
                timeout_seconds=mail.verification_timeout_seconds,
            ),
            # Postmark can only verify what DNS already serves.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.records]),
        )
        self.server_token: pulumi.Output[str] = pulumi.Output.secret(
            self.server.api_tokens.apply(lambda tokens: tokens[0])
        )
        self.register_outputs({"server_name": self.server_name})

    def add_webhook(self, workers: Mapping[str, pulumi.Resource]) -> None:
        """The webhook to the mail worker, once `workers` (logical name -> Worker) exist."""
        webhook = self._spec.mail.webhook if self._spec.mail else None
        if webhook is None:
            return
        bearer = self._secret_config(webhook.bearer_config_key)
        self.webhook = PostmarkWebhook(
            "mail-webhook",
            PostmarkWebhookArgs(
                server_id=self.server.server_id,
                url=webhook.url,
                # What the mail worker records: deliveries, bounces and spam complaints.
                triggers=WebhookTriggers(
                    delivery=Trigger(enabled=True),
                    bounce=ContentTrigger(enabled=True),
                    spam_complaint=ContentTrigger(enabled=True),
                ),
                http_headers={"Authorization": bearer.apply(lambda b: f"Bearer {b}")},
            ),
            # Postmark test-posts to the URL on save: the worker must be deployed first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[workers[webhook.worker]]),
        )


def build_mail(spec: PlatformSpec, secret_config: SecretConfig, safety: DataSafety) -> MailDelivery:
    return MailDelivery(spec, secret_config, safety)
