"""Postmark domain verification: a resource that waits until Postmark has verified the DNS records.

Create/update asks Postmark to check DKIM and Return-Path now (PUT verifyDkim/verifyReturnPath),
then polls GET /domains/{id} until both are verified or the timeout passes; on timeout it fails
naming each unverified record and the value it must hold. SPF is not checked (Postmark no longer
requires it). Deleting the resource changes nothing in Postmark.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from components.mail.postmark.client import PostmarkClient
from components.mail.postmark.domain import dkim_record_to_publish
from components.mail.postmark.errors import PostmarkError
from components.mail.postmark.provider_base import (
    Failures,
    PostmarkProvider,
    as_folded_text,
    as_text,
    diff_inputs,
    gone,
    is_known,
    whole_number,
)

DEFAULT_TIMEOUT_SECONDS = 600.0
DEFAULT_POLL_INTERVAL_SECONDS = 15.0
DEFAULT_RETURN_PATH_CNAME = "pm.mtasv.net"

_NORMALIZERS = {
    "domain_id": as_text,
    "dkim_host": as_folded_text,
    "dkim_text_value": as_text,
    "return_path_domain": as_folded_text,
    "return_path_cname_value": as_folded_text,
}
OUTPUT_PROPS = ("dkim_verified", "return_path_verified")


@dataclass(frozen=True)
class PostmarkDomainVerificationArgs:
    """What to verify and how long to wait. Pass the PostmarkDomain outputs (and make the DNS
    records depend on the same values) so the wait starts after the records exist."""

    domain_id: pulumi.Input[str]
    """Postmark domain ID (PostmarkDomain.domain_id). A new ID replaces this resource."""
    dkim_host: pulumi.Input[str]
    """Expected DKIM TXT record name (PostmarkDomain.dkim_host); quoted in timeout errors."""
    dkim_text_value: pulumi.Input[str]
    """Expected DKIM TXT value (PostmarkDomain.dkim_text_value); quoted in timeout errors."""
    return_path_domain: pulumi.Input[str] | None = None
    """Expected Return-Path CNAME name; None skips the Return-Path check."""
    return_path_cname_value: pulumi.Input[str] | None = DEFAULT_RETURN_PATH_CNAME
    """Expected Return-Path CNAME target (PostmarkDomain.return_path_cname_value)."""
    timeout_seconds: pulumi.Input[float] = DEFAULT_TIMEOUT_SECONDS
    """How long create/update waits for verification before failing."""
    poll_interval_seconds: pulumi.Input[float] = DEFAULT_POLL_INTERVAL_SECONDS
    """Seconds between two GET /domains/{id} polls."""

    def to_props(self) -> dict[str, Any]:
        return {
            "domain_id": self.domain_id,
            "dkim_host": self.dkim_host,
            "dkim_text_value": self.dkim_text_value,
            "return_path_domain": self.return_path_domain,
            "return_path_cname_value": self.return_path_cname_value,
            "timeout_seconds": self.timeout_seconds,
            "poll_interval_seconds": self.poll_interval_seconds,
        }


def _checks_return_path(props: dict[str, Any]) -> bool:
    return bool(props.get("return_path_domain"))


def _is_verified(domain: dict[str, Any], props: dict[str, Any]) -> bool:
    return bool(domain.get("DKIMVerified")) and (
        not _checks_return_path(props) or bool(domain.get("ReturnPathDomainVerified"))
    )


def _outputs(domain: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    kept = (*_NORMALIZERS, "timeout_seconds", "poll_interval_seconds")
    outs = {key: props.get(key) for key in kept}
    outs["domain_id"] = str(props["domain_id"])
    outs["dkim_verified"] = bool(domain.get("DKIMVerified"))
    outs["return_path_verified"] = bool(domain.get("ReturnPathDomainVerified"))
    return outs


class DomainNotVerifiedError(PostmarkError):
    """The records were not verified before timeout_seconds passed."""


def _timeout_error(
    domain: dict[str, Any], props: dict[str, Any], waited: float
) -> DomainNotVerifiedError:
    missing = []
    if not domain.get("DKIMVerified"):
        missing.append(
            f"DKIM: a TXT record named {props.get('dkim_host')!r} with the value "
            f"{props.get('dkim_text_value')!r}"
        )
        live_host, _ = dkim_record_to_publish(domain)
        if live_host and live_host.casefold() != as_folded_text(props.get("dkim_host")):
            missing.append(
                f"note: Postmark now expects the DKIM record at {live_host!r} (key rotated?); "
                "run `pulumi refresh` and `pulumi up` to publish it"
            )
    if _checks_return_path(props) and not domain.get("ReturnPathDomainVerified"):
        missing.append(
            f"Return-Path: a CNAME record named {props.get('return_path_domain')!r} pointing to "
            f"{props.get('return_path_cname_value') or DEFAULT_RETURN_PATH_CNAME!r}"
        )
    return DomainNotVerifiedError(
        f"Postmark domain {props['domain_id']} ({domain.get('Name')}) is not verified after "
        f"{waited:.0f}s; still unverified: " + "; ".join(missing),
        guidance="publish exactly these DNS records, check them with `dig TXT <name>` / "
        "`dig CNAME <name>`, wait for DNS to propagate, then run `pulumi up` again "
        "(or raise timeout_seconds).",
    )


class DomainVerificationProvider(PostmarkProvider):
    """Waits for Postmark to verify a domain's DKIM and Return-Path records."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = dict(news)
        failures = Failures()
        domain_id = inputs.get("domain_id")
        if is_known(domain_id):
            number = whole_number(domain_id)
            if number is not None:
                inputs["domain_id"] = str(number)
            else:
                failures.require_text(inputs, "domain_id")
        failures.require_text(inputs, "dkim_host")
        failures.require_text(inputs, "dkim_text_value")
        failures.optional_text(inputs, "return_path_domain")
        failures.optional_text(inputs, "return_path_cname_value")
        for prop, default in (
            ("timeout_seconds", DEFAULT_TIMEOUT_SECONDS),
            ("poll_interval_seconds", DEFAULT_POLL_INTERVAL_SECONDS),
        ):
            value = inputs.get(prop)
            if value is None:
                inputs[prop] = default
            elif is_known(value) and (
                isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
            ):
                failures.add(prop, f"{prop} must be a positive number of seconds; got {value!r}.")
        return CheckResult(inputs, failures.items)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = diff_inputs(olds, news, _NORMALIZERS, replace_on={"domain_id"})
        result = changes.to_diff_result()
        # A refresh that found the records unverified again makes the next `up` wait again.
        if not result.changes and not _is_verified(
            {
                "DKIMVerified": olds.get("dkim_verified"),
                "ReturnPathDomainVerified": olds.get("return_path_verified"),
            },
            news,
        ):
            result.changes = True
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        domain = self._verify(props)
        return CreateResult(str(props["domain_id"]), _outputs(domain, props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_outputs(self._verify(news), news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with self._account_client() as client:
            try:
                domain = client.get(f"/domains/{props.get('domain_id') or id_}")
            except PostmarkError as err:
                if err.means_gone:
                    return gone()
                raise err.in_context(f"Reading verification of Postmark domain {id_}") from None
        return ReadResult(id_=id_, outs=_outputs(domain, props))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to undo in Postmark: verification is a state of the domain."""

    def _verify(self, props: dict[str, Any]) -> dict[str, Any]:
        domain_id = str(props["domain_id"])
        timeout = float(props.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS)
        interval = float(props.get("poll_interval_seconds") or DEFAULT_POLL_INTERVAL_SECONDS)
        started = time.monotonic()
        with self._account_client() as client:
            try:
                domain = self._request_checks(client, domain_id, props)
                while not _is_verified(domain, props):
                    remaining = started + timeout - time.monotonic()
                    if remaining <= 0:
                        raise _timeout_error(domain, props, time.monotonic() - started)
                    time.sleep(min(interval, remaining))
                    domain = client.get(f"/domains/{domain_id}")
            except DomainNotVerifiedError:
                raise
            except PostmarkError as err:
                raise err.in_context(f"Verifying Postmark domain {domain_id}") from None
        return domain

    @staticmethod
    def _request_checks(
        client: PostmarkClient, domain_id: str, props: dict[str, Any]
    ) -> dict[str, Any]:
        """Ask Postmark to check the records now (it also re-checks on its own)."""
        domain = client.get(f"/domains/{domain_id}")
        if not domain.get("DKIMVerified"):
            domain = client.put(f"/domains/{domain_id}/verifyDkim")
        if _checks_return_path(props) and not domain.get("ReturnPathDomainVerified"):
            domain = client.put(f"/domains/{domain_id}/verifyReturnPath")
        return domain


class PostmarkDomainVerification(
    pulumi.dynamic.Resource, module="postmark", name="DomainVerification"
):
    """Waits until Postmark has verified a domain's DNS records
    (type token ``pulumi-python:dynamic/postmark:DomainVerification``).

    Verified only against the project's local Postmark-compatible fake server.
    """

    domain_id: pulumi.Output[str]
    dkim_verified: pulumi.Output[bool]
    return_path_verified: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        args: PostmarkDomainVerificationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {**args.to_props(), **dict.fromkeys(OUTPUT_PROPS)}
        super().__init__(DomainVerificationProvider(), resource_name, props, opts)
