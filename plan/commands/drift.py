"""`python -m plan drift STACK [--json]`: what differs between the stacks and the live Postmark
account and Route 53 records.

Checks, in order: Postmark servers named after the stack's prefix that no stack declares
(orphans) or the stack's own server missing; duplicate webhooks (same URL) on the stack's server;
sending domains in the stack's hosted zone that no stack declares, or its own domain missing; the
live DKIM, Return-Path and DMARC records against Postmark and the stack. Exit codes: see
plan.drift.findings (0 clean, 1 drift found, 2 config or usage error, 4 an API unreachable,
credentials missing or refused).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from components.mail.postmark.client import PostmarkClient, RetryPolicy
from components.mail.postmark.domain import iter_domain_objects
from components.mail.postmark.errors import (
    ACCOUNT_TOKEN_ENV,
    MissingCredentialsError,
    PostmarkError,
)
from components.mail.postmark.inventory import list_servers
from components.mail.postmark.provider_base import fetch_listed
from plan.cli import Options, app
from plan.commands.wrangler import load_platform
from plan.drift import render
from plan.drift.dns_checks import DeclaredMail, dns_drift
from plan.drift.findings import EXIT_USAGE, CheckUnavailable, Report, UsageError
from plan.drift.postmark_checks import (
    Declared,
    duplicate_webhooks,
    missing_domain,
    orphan_servers,
    undeclared_domains,
)
from plan.drift.route53 import Route53
from plan.stackfile import StackFileError, available_stacks
from stacks.errors import ConfigError
from stacks.naming import postmark_server_name
from stacks.schema import PlatformSpec

SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
# A scheduled check: a few quick retries, then a clear error (not the provider's long budget).
RETRY = RetryPolicy(
    max_attempts=3,
    max_total_seconds=60.0,
    initial_wait_seconds=0.5,
    max_wait_seconds=4.0,
    jitter_seconds=0.25,
    max_retry_after_seconds=20.0,
)


@app.command("drift")
def drift(
    stack: Annotated[str, typer.Argument(help="Stack name: staging or prod.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (errors included).")
    ] = False,
    route53_endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--route53-endpoint-url",
            help="Route 53 API endpoint (default: AWS's, or AWS_ENDPOINT_URL_ROUTE_53).",
        ),
    ] = None,
) -> None:
    """Drift of STACK's mail: Postmark orphans, duplicate webhooks, undeclared domains, DNS.

    Exit codes: 0 no drift, 1 drift found, 2 config or usage error, 4 Postmark or Route 53
    unreachable, credentials missing or refused.
    """
    report = Report(stack)
    try:
        _run(report, stack, route53_endpoint_url)
    except UsageError as err:
        report.error, report.error_exit = str(err), EXIT_USAGE
    except CheckUnavailable as err:
        report.error = str(err)
    sys.stdout.write(render.as_json(report) if as_json else render.text(report))
    if report.error is not None:
        typer.echo(report.error, err=True)
    _summary(stack, render.markdown(report))
    raise typer.Exit(report.exit_code)


def _run(report: Report, stack: str, route53_endpoint_url: str | None) -> None:
    spec = _load(stack, stack)
    mail = spec.mail
    if mail is None:
        report.notes.append(
            f"stack '{stack}' declares no `mail`: it owns no Postmark server or sending domain, "
            "nothing to check."
        )
        return
    declared = _declared_by_stacks(stack)
    own_server = postmark_server_name(mail.server_prefix, spec.environment, mail.sending_domain)
    report.notes.append(
        f"Drift check for stack '{stack}': Postmark server prefix '{mail.server_prefix}', "
        f"sending domain {mail.sending_domain}, hosted zone {mail.hosted_zone_id}."
    )
    with _postmark() as account:
        servers = list_servers(account)
        report.checks.append(orphan_servers(servers, mail.server_prefix, declared, own_server))
        server = next((s for s in servers if s.name == own_server), None)
        if server is not None:
            report.checks.append(duplicate_webhooks(account, server))
        domains = list(iter_domain_objects(account))
        listed = next((d for d in domains if d.get("Name") == mail.sending_domain), None)
        domain = fetch_listed(account, "domains", listed)

    route53 = _route53(route53_endpoint_url)
    domains_check = undeclared_domains(domains, route53.zone_name(mail.hosted_zone_id), declared)
    if domain is None:
        domains_check.findings.insert(0, missing_domain(mail.sending_domain))
    report.checks.append(domains_check)
    declared_mail = DeclaredMail(
        sending_domain=mail.sending_domain,
        zone_id=mail.hosted_zone_id,
        return_path_domain=f"{mail.return_path_subdomain}.{mail.sending_domain}",
        dmarc_policy=mail.dmarc.policy,
        dmarc_rua=mail.dmarc.rua,
    )
    report.checks.append(dns_drift(route53, declared_mail, domain))


def _load(stack: str, checked: str) -> PlatformSpec:
    try:
        return load_platform(stack, Options.config_dir).spec
    except (ConfigError, StackFileError) as err:
        if stack == checked:
            raise UsageError(str(err)) from None
        # Skipping a broken stack would report its server as an orphan: an invitation to delete.
        raise UsageError(f"cannot tell what stack '{stack}' declares:\n{err}") from None


def _declared_by_stacks(checked: str) -> Declared:
    """Server names and sending domains of every stack of the repository (each must validate)."""
    servers: dict[str, str] = {}
    domains: dict[str, str] = {}
    for other in available_stacks(Options.config_dir):
        spec = _load(other, checked)
        mail = spec.mail
        if mail is not None:
            name = postmark_server_name(mail.server_prefix, spec.environment, mail.sending_domain)
            servers[name] = other
            domains[mail.sending_domain] = other
    return Declared(servers=servers, domains=domains)


@contextmanager
def _postmark() -> Iterator[PostmarkClient]:
    """The account client; every Postmark failure becomes one line (tokens already redacted)."""
    try:
        with PostmarkClient.for_account(retry=RETRY) as client:
            yield client
    except MissingCredentialsError:
        raise CheckUnavailable(
            f"{ACCOUNT_TOKEN_ENV} is not set: export it with a Postmark account API token "
            "(Postmark > Account > API Tokens) to read the account's servers and domains."
        ) from None
    except PostmarkError as err:
        raise CheckUnavailable(f"Postmark: {err}") from None


def _route53(endpoint_url: str | None) -> Route53:
    try:
        return Route53(endpoint_url)
    except ValueError as err:  # botocore rejects a malformed endpoint URL
        raise UsageError(f"--route53-endpoint-url: {err}") from None


def _summary(stack: str, body: str) -> None:
    """Append a Markdown section to the GitHub Actions job summary, when running there."""
    path = os.environ.get(SUMMARY_ENV)
    if not path:
        return
    with Path(path).open("a", encoding="utf-8") as summary:
        summary.write(f"### Postmark and DNS drift: `{stack}`\n\n{body}\n")
