"""The Route 53 records a sending domain needs: DKIM, Return-Path, DMARC, optional SPF and MX.

TXT values over 255 characters (2048-bit DKIM keys) are split into 255-character strings joined
by `""` inside ONE record value: pulumi-aws wraps each value in quotes, so `a""b` reaches
Route 53 as `"a" "b"`, one record of two strings. Several list items would be several records,
and outer quotes of our own would be quoted again.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.safety import UNGUARDED, DataSafety

TXT_CHUNK = 255
POSTMARK_RETURN_PATH_TARGET = "pm.mtasv.net"
POSTMARK_INBOUND_MX = "inbound.postmarkapp.com"
POSTMARK_SPF = "v=spf1 a mx include:spf.mtasv.net ~all"


def split_txt(value: str) -> str:
    """One TXT record value with every 255-character string separated by `""`."""
    if '"' in value:
        raise ValueError("TXT value must not contain quotes; pass the bare value")
    return '""'.join(value[i : i + TXT_CHUNK] for i in range(0, len(value), TXT_CHUNK)) or value


def dmarc_value(policy: str, rua: str | None) -> str:
    parts = ["v=DMARC1", f"p={policy}"]
    if rua:
        parts.append(f"rua={rua}")
    return "; ".join(parts)


@dataclass(frozen=True)
class MailDnsRecordsArgs:
    zone_id: str
    """Route 53 hosted zone holding the sending domain."""
    sending_domain: str
    """The domain mail is sent from, e.g. mail.bookmarks.example.com."""
    dkim_host: pulumi.Input[str]
    """DKIM selector host, from the Postmark domain (changes on key rotation)."""
    dkim_value: pulumi.Input[str]
    """DKIM TXT value (k=rsa; p=...), from the Postmark domain."""
    return_path_domain: str
    """Return-Path (bounce) domain, a subdomain of the sending domain."""
    return_path_target: pulumi.Input[str] = POSTMARK_RETURN_PATH_TARGET
    """CNAME target Postmark asks for."""
    dmarc_policy: str = "none"
    """DMARC policy: none, quarantine or reject."""
    dmarc_rua: str | None = None
    """DMARC aggregate report address (mailto:...)."""
    spf: bool = False
    """Also publish SPF at the sending domain (Postmark no longer requires it)."""
    inbound_mx: bool = False
    """Also publish MX to Postmark's inbound servers."""
    ttl: int = 300
    """Record TTL in seconds."""
    safety: DataSafety = UNGUARDED
    """Protect the records (deleting DKIM stops mail from verifying)."""


class MailDnsRecords(pulumi.ComponentResource):
    dkim: aws.route53.Record
    return_path: aws.route53.Record
    dmarc: aws.route53.Record

    def __init__(
        self, name: str, args: MailDnsRecordsArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("edge:mail:MailDnsRecords", name, None, opts)

        def record(suffix: str, host: pulumi.Input[str], type_: str, value: pulumi.Input[str]):
            return aws.route53.Record(
                f"{name}-{suffix}",
                zone_id=args.zone_id,
                name=host,
                type=type_,
                ttl=args.ttl,
                records=[value],
                allow_overwrite=False,  # never take over a record someone else manages
                opts=args.safety.options(self),
            )

        self.dkim = record(
            "dkim",
            args.dkim_host,
            "TXT",
            pulumi.Output.from_input(args.dkim_value).apply(split_txt),
        )
        self.return_path = record(
            "return-path", args.return_path_domain, "CNAME", args.return_path_target
        )
        self.dmarc = record(
            "dmarc",
            f"_dmarc.{args.sending_domain}",
            "TXT",
            split_txt(dmarc_value(args.dmarc_policy, args.dmarc_rua)),
        )
        if args.spf:
            record("spf", args.sending_domain, "TXT", POSTMARK_SPF)
        if args.inbound_mx:
            record("mx", args.sending_domain, "MX", f"10 {POSTMARK_INBOUND_MX}")
        self.register_outputs({})
