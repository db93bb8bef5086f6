"""DNS drift of a sending domain: the live Route 53 DKIM, Return-Path and DMARC records against
what Postmark reports (DKIM key, Return-Path target) and what the stack declares (Return-Path
domain, DMARC policy).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from components.mail.postmark.domain import dkim_record_to_publish
from components.mail.route53 import POSTMARK_RETURN_PATH_TARGET, dmarc_value
from plan.drift.findings import Check, Finding
from plan.drift.route53 import Route53, fqdn, txt_text

_REDEPLOY = (
    "run the deploy workflow (pulumi up) to put the record back as the stack declares it; if the "
    "record was changed on purpose, change the stack instead."
)


@dataclass(frozen=True)
class DeclaredMail:
    """What a stack declares about its sending domain's DNS."""

    sending_domain: str
    zone_id: str
    return_path_domain: str
    dmarc_policy: str
    dmarc_rua: str | None


def dns_drift(
    route53: Route53, declared: DeclaredMail, postmark_domain: Mapping[str, Any] | None
) -> Check:
    """`postmark_domain`: the domain's details from Postmark (None when it has none)."""
    check = Check(
        "dns",
        f"Route 53 records of {declared.sending_domain} (hosted zone {declared.zone_id})",
        "DKIM, Return-Path and DMARC records match Postmark and the stack.",
    )
    records = _Records(route53, declared.zone_id, check)
    if postmark_domain is not None:
        _dkim(records, postmark_domain)
        _return_path_domain(check, declared, postmark_domain)
    asked = (postmark_domain or {}).get("ReturnPathDomainCNAMEValue")
    target = asked or POSTMARK_RETURN_PATH_TARGET
    records.expect_one(
        "return-path-record",
        declared.return_path_domain,
        "CNAME",
        target,
        normalize=fqdn,
        source="what Postmark asks for",
    )
    records.expect_one(
        "dmarc-record",
        f"_dmarc.{declared.sending_domain}",
        "TXT",
        dmarc_value(declared.dmarc_policy, declared.dmarc_rua),
        normalize=_dmarc_tags,
        source="what the stack declares",
    )
    return check


@dataclass
class _Records:
    route53: Route53
    zone_id: str
    check: Check

    def expect_one(
        self,
        kind: str,
        name: str,
        type_: str,
        expected: str,
        *,
        normalize: Callable[[str], object],
        source: str,
    ) -> None:
        values = self.route53.values(self.zone_id, name, type_)
        shown = [txt_text(v) if type_ == "TXT" else v for v in values or []]
        if values is None or not values:
            problem = f"no {type_} record (Route 53 has none by that name)"
        elif len(values) > 1:
            problem = f"{len(values)} {type_} values where one is expected"
        elif normalize(shown[0]) != normalize(expected):
            problem = f"the {type_} record differs from {source}"
        else:
            return
        self.check.findings.append(
            Finding(
                kind,
                fqdn(name),
                problem,
                _REDEPLOY,
                expected=expected,
                actual=" | ".join(shown) if shown else None,
            )
        )


def _dkim(records: _Records, domain: Mapping[str, Any]) -> None:
    host, value = dkim_record_to_publish(dict(domain))
    if not host:
        records.check.findings.append(
            Finding(
                "dkim-record",
                str(domain.get("Name")),
                "Postmark reports no DKIM key for the domain",
                "check the domain in Postmark (Sender signatures > Domains); rotate its DKIM key "
                "if none is shown.",
            )
        )
        return
    records.expect_one(
        "dkim-record", host, "TXT", value, normalize=str, source="the key Postmark reports"
    )


def _return_path_domain(check: Check, declared: DeclaredMail, domain: Mapping[str, Any]) -> None:
    live = str(domain.get("ReturnPathDomain") or "")
    if fqdn(live) != fqdn(declared.return_path_domain):
        check.findings.append(
            Finding(
                "return-path-domain",
                declared.sending_domain,
                "Postmark's Return-Path domain differs from what the stack declares",
                "run the deploy workflow (pulumi up): it sets the declared Return-Path domain "
                "in Postmark.",
                ids=(str(domain.get("ID")),),
                id_label="domain id",
                expected=declared.return_path_domain,
                actual=live or None,
            )
        )


def _dmarc_tags(value: str) -> dict[str, str]:
    """A DMARC record's tags, so that spacing and tag order do not count as drift."""
    tags: dict[str, str] = {}
    for part in value.split(";"):
        key, _, tag_value = part.strip().partition("=")
        if key:
            tags[key.strip().lower()] = tag_value.strip()
    return tags
