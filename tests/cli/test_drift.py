"""`python -m plan drift STACK`: the live Postmark account and Route 53 records against the stacks.

Runs against the local Postmark-compatible fake (tools/localcloud/postmark_server.py) and a moto
Route 53 server on loopback, never the real services. Each test starts from a deployed staging
stack (World.deploy: no drift) and changes one thing. The servers of the repository's stacks are
`edge-staging-example-bookmarks-staging-mail` and `edge-prod-example-bookmarks-mail`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.config import Config
from typer.testing import CliRunner

from components.mail.postmark.client import RetryPolicy
from plan.cli import app
from tests.cli.drift_world import AWS_TEST_ENV, HOOK_BEARER, HOOK_PASSWORD, World, moto_route53
from tests.support.project import platform_of, write_project
from tools.localcloud.postmark_server import FakePostmark, fake_dkim_value, fake_token

STAGING_SERVER = "edge-staging-example-bookmarks-staging-mail"
PROD_SERVER = "edge-prod-example-bookmarks-mail"
STAGING_DOMAIN = "mail.staging.bookmarks.example.com"
ORPHAN = "edge-staging-example-old-mail"
ORPHAN_OFF_RULE = "edge-scratch"
OTHER_PREFIX = "billing-staging-example-bookmarks-mail"
# Secret keys as `pulumi config set --secret` leaves them (drift never reads their values).
SECRET_KEYS = {
    f"edge-platform:{key}": {"secure": "v1:fake-ciphertext"}
    for key in ("turnstileApiKey", "resendApiKey", "postmarkWebhookBearer")
}


def write_stacks(root: Path, staging: dict | None = None, prod: dict | None = None) -> Path:
    for stack, platform in (("staging", staging), ("prod", prod)):
        write_project(
            root, stack, platform or platform_of(stack), extra_config=SECRET_KEYS, bundles=False
        )
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return write_stacks(tmp_path_factory.mktemp("drift"))


@pytest.fixture(scope="module")
def route53_url() -> Iterator[str]:
    with moto_route53() as url:
        yield url


@pytest.fixture
def fake() -> Iterator[FakePostmark]:
    with FakePostmark(account_token=fake_token("account")) as running:
        yield running


@pytest.fixture
def world(fake: FakePostmark, route53_url: str) -> World:
    return World(fake, route53_url)


@pytest.fixture(autouse=True)
def quick_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unreachable endpoints fail after one short retry instead of the real schedule."""
    monkeypatch.setattr(
        "plan.commands.drift.RETRY",
        RetryPolicy(max_attempts=2, initial_wait_seconds=0.01, max_wait_seconds=0.01),
    )
    monkeypatch.setattr(
        "plan.drift.route53.CLIENT_CONFIG",
        Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=2, read_timeout=5),
    )


def drift(project: Path, world: World, *args: str, stack: str = "staging", **env: str | None):
    """Run the command against the fake and moto; `env` overrides (None unsets).
    GITHUB_STEP_SUMMARY is unset unless given, so a CI run of the tests never writes to the real
    job summary."""
    environment: dict[str, str | None] = {
        **world.fake.env(),
        **AWS_TEST_ENV,
        "GITHUB_STEP_SUMMARY": None,
        **env,
    }
    endpoint = ["--route53-endpoint-url", world.route53_url] if "--no-endpoint" not in args else []
    argv = ["--config-dir", str(project), "drift", stack, *endpoint]
    argv += [a for a in args if a != "--no-endpoint"]
    return CliRunner().invoke(app, argv, env=environment)


def findings(result) -> list[dict]:
    report = json.loads(result.stdout)
    return [f for check in report["checks"] for f in check["findings"]]


def finding_lines(output: str) -> list[str]:
    return [ln for ln in output.splitlines() if ln.startswith("  - ") and ": " in ln]


# -- clean --------------------------------------------------------------------------------------


def test_a_deployed_stack_has_no_drift(project, world):
    world.deploy("staging")

    result = drift(project, world)

    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("No drift.")
    for clean in (
        "No orphans: every server named 'edge-...' is declared.",
        "No duplicates among its 1 webhook(s).",
        "Every sending domain in staging.bookmarks.example.com is declared.",
        "DKIM, Return-Path and DMARC records match Postmark and the stack.",
    ):
        assert clean in result.stdout


def test_json_report_of_a_clean_stack(project, world):
    world.deploy("staging")

    result = drift(project, world, "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["result"] == "clean" and report["exit_code"] == 0 and report["error"] is None
    assert [c["name"] for c in report["checks"]] == [
        "postmark-servers",
        "webhooks",
        "postmark-domains",
        "dns",
    ]


def test_a_2048_bit_dkim_key_split_in_route53_is_not_drift(project, world):
    world.fake.dkim_key_bits = 2048
    deployed = world.deploy("staging")
    assert len(deployed["dkim_value"]) > 255  # published as two strings of one record

    result = drift(project, world)

    assert result.exit_code == 0, result.output


def test_dmarc_spacing_and_tag_order_are_not_drift(project, world):
    world.deploy("staging")
    world.put(
        "staging",
        f"_dmarc.{STAGING_DOMAIN}",
        "TXT",
        '"v=DMARC1;rua=mailto:dmarc-reports@bookmarks.example.com;  p=none"',
    )

    assert drift(project, world).exit_code == 0


# -- Postmark: servers, webhooks, domains -------------------------------------------------------


def test_orphan_is_reported_with_the_rule_it_matches(project, world):
    world.deploy("staging")
    for name in (PROD_SERVER, ORPHAN, ORPHAN_OFF_RULE, OTHER_PREFIX):
        world.fake.add_server(name)
    orphan_id = world.fake.server_named(ORPHAN)["ID"]

    result = drift(project, world)

    assert result.exit_code == 1, result.output
    found = finding_lines(result.stdout)
    assert len(found) == 2, found
    assert found[0].startswith(f"  - {ORPHAN_OFF_RULE} ")
    assert "not {prefix}-{env}-{slug}" in found[0]
    assert found[1] == (
        f"  - {ORPHAN} (server id {orphan_id}): "
        "{prefix}-{env}-{slug} with prefix=edge, env=staging, slug=example-old-mail"
    )
    assert "delete it in Postmark" in result.stdout


def test_declared_servers_of_every_stack_are_not_orphans(project, world):
    """Prod's server is not an orphan of the staging check: all stacks' names count."""
    world.deploy("staging")
    world.fake.add_server(PROD_SERVER)

    result = drift(project, world)

    assert result.exit_code == 0, result.output
    assert f"{STAGING_SERVER} (stack staging)" in result.stdout
    assert f"{PROD_SERVER} (stack prod)" in result.stdout


def test_server_with_another_prefix_is_ignored(project, world):
    world.deploy("staging")
    world.fake.add_server(OTHER_PREFIX)
    world.fake.add_server("edgeless-staging-example-mail")  # shares letters, not the `edge-` prefix

    result = drift(project, world)

    assert result.exit_code == 0, result.output
    assert OTHER_PREFIX not in result.output
    assert "Account servers named 'edge-...': 1 of 3." in result.stdout


def test_orphan_on_a_later_page_is_found(project, world):
    world.deploy("staging")
    for i in range(120):  # more than one page of GET /servers
        world.fake.add_server(f"billing-prod-tenant-{i:03d}")
    world.fake.add_server(ORPHAN)

    result = drift(project, world, "--json")

    assert result.exit_code == 1, result.output
    assert [(f["kind"], f["subject"]) for f in findings(result)] == [("orphan-server", ORPHAN)]
    assert world.fake.count_requests("GET", "/servers") >= 2


def test_the_stacks_own_server_missing_is_drift(project, world):
    deployed = world.deploy("staging")
    world.fake.remove_server(deployed["server"]["ID"])

    result = drift(project, world, "--json")

    assert result.exit_code == 1, result.output
    assert [(f["kind"], f["subject"]) for f in findings(result)] == [
        ("missing-server", STAGING_SERVER)
    ]


def test_duplicate_webhooks_are_reported_without_their_credentials(project, world, tmp_path):
    deployed = world.deploy("staging")
    server_id = deployed["server"]["ID"]
    url = world.mail("staging")["webhook"]["url"]
    second = world.add_webhook(server_id, url)  # what a retried create used to leave
    world.add_webhook(server_id, "https://other.example.com/hook?token=fake-query-secret")
    summary = tmp_path / "summary.md"

    text = drift(project, world, GITHUB_STEP_SUMMARY=str(summary))
    as_json = drift(project, world, "--json")

    assert text.exit_code == as_json.exit_code == 1, text.output
    [duplicate] = findings(as_json)
    assert duplicate["kind"] == "duplicate-webhooks" and duplicate["subject"] == STAGING_SERVER
    assert len(duplicate["ids"]) == 2 and str(second) in duplicate["ids"]
    assert url in duplicate["problem"]
    assert f"webhook ids {', '.join(duplicate['ids'])}" in text.stdout
    for output in (text.output, as_json.output, summary.read_text()):
        for secret in (HOOK_PASSWORD, HOOK_BEARER, "fake-query-secret"):
            assert secret not in output
        assert world.fake.account_token not in output
        assert world.fake.server_token(server_id) not in output


def test_the_same_url_on_another_server_is_not_a_duplicate(project, world):
    world.deploy("staging")
    other = world.fake.add_server(PROD_SERVER)
    world.add_webhook(other["ID"], world.mail("staging")["webhook"]["url"])

    assert drift(project, world).exit_code == 0


def test_a_sending_domain_no_stack_declares_is_reported(project, world):
    world.deploy("staging")
    orphan = world.fake.add_domain("old.staging.bookmarks.example.com")
    world.fake.add_domain("mail.billing.example.org")  # outside the stack's zone: not ours

    result = drift(project, world, "--json")

    assert result.exit_code == 1, result.output
    [found] = findings(result)
    assert found["kind"] == "undeclared-domain"
    assert found["subject"] == "old.staging.bookmarks.example.com"
    assert found["ids"] == [str(orphan["ID"])]


def test_a_domain_another_stack_declares_is_not_undeclared(project, world):
    """Prod's zone holds staging's sending domain too: it is declared (by staging)."""
    world.deploy("prod")
    world.deploy("staging")

    result = drift(project, world, stack="prod")

    assert result.exit_code == 0, result.output


def test_the_stacks_own_domain_missing_is_drift(project, world):
    deployed = world.deploy("staging")
    world.fake.remove_domain(deployed["domain"]["ID"])

    result = drift(project, world, "--json")

    assert result.exit_code == 1, result.output
    assert [f["kind"] for f in findings(result)] == ["missing-domain"]


# -- DNS ------------------------------------------------------------------------------------------


def test_a_dkim_record_with_another_key_is_drift(project, world):
    deployed = world.deploy("staging")
    world.put("staging", deployed["dkim_host"], "TXT", f'"{fake_dkim_value()}"')

    result = drift(project, world)
    as_json = drift(project, world, "--json")

    assert result.exit_code == 1, result.output
    [found] = findings(as_json)
    assert found["kind"] == "dkim-record" and found["subject"] == deployed["dkim_host"]
    assert found["expected"] == deployed["dkim_value"] and found["actual"] != found["expected"]
    assert "differs from the key Postmark reports" in result.stdout
    assert "expected: k=rsa; p=MIGf" in result.stdout and "live:     k=rsa; p=MIGf" in result.stdout


def test_a_missing_dkim_record_is_drift(project, world):
    deployed = world.deploy("staging")
    world.remove("staging", deployed["dkim_host"], "TXT")

    result = drift(project, world, "--json")

    assert result.exit_code == 1
    [found] = findings(result)
    assert (found["kind"], found["actual"]) == ("dkim-record", None)
    assert found["problem"].startswith("no TXT record")


def test_a_rotated_key_not_yet_published_is_drift(project, world):
    """Postmark reports a new pending key: the record at the new selector must exist."""
    deployed = world.deploy("staging")
    world.fake.edit_domain(
        deployed["domain"]["ID"],
        DKIMPendingHost=f"20990101000000pm._domainkey.{STAGING_DOMAIN}",
        DKIMPendingTextValue=fake_dkim_value(),
    )

    result = drift(project, world, "--json")

    assert [(f["kind"], f["subject"]) for f in findings(result)] == [
        ("dkim-record", f"20990101000000pm._domainkey.{STAGING_DOMAIN}")
    ]


def test_a_return_path_cname_to_elsewhere_is_drift(project, world):
    world.deploy("staging")
    world.put("staging", f"pm-bounces.{STAGING_DOMAIN}", "CNAME", "bounces.other-esp.example.net")

    result = drift(project, world, "--json")

    assert result.exit_code == 1
    [found] = findings(result)
    assert found["kind"] == "return-path-record"
    assert (found["expected"], found["actual"]) == ("pm.mtasv.net", "bounces.other-esp.example.net")


def test_a_return_path_domain_changed_in_postmark_is_drift(project, world):
    deployed = world.deploy("staging")
    world.fake.edit_domain(deployed["domain"]["ID"], ReturnPathDomain="")

    result = drift(project, world, "--json")

    [found] = findings(result)
    assert found["kind"] == "return-path-domain"
    assert found["expected"] == f"pm-bounces.{STAGING_DOMAIN}" and found["actual"] is None


def test_a_dmarc_policy_other_than_declared_is_drift(project, world):
    world.deploy("staging")
    world.put("staging", f"_dmarc.{STAGING_DOMAIN}", "TXT", '"v=DMARC1; p=reject"')

    result = drift(project, world, "--json")

    [found] = findings(result)
    assert found["kind"] == "dmarc-record"
    assert found["actual"] == "v=DMARC1; p=reject"
    assert found["expected"] == "v=DMARC1; p=none; rua=mailto:dmarc-reports@bookmarks.example.com"


def test_two_dmarc_records_are_drift(project, world):
    world.deploy("staging")
    declared = '"v=DMARC1; p=none; rua=mailto:dmarc-reports@bookmarks.example.com"'
    world.put("staging", f"_dmarc.{STAGING_DOMAIN}", "TXT", declared, '"v=DMARC1; p=reject"')

    [found] = findings(drift(project, world, "--json"))
    assert found["problem"] == "2 TXT values where one is expected"


def test_the_endpoint_can_come_from_boto3s_own_variable(project, world):
    world.deploy("staging")
    result = drift(project, world, "--no-endpoint", AWS_ENDPOINT_URL_ROUTE_53=world.route53_url)
    assert result.exit_code == 0, result.output


# -- errors: one line, exit 2 or 4, never a token --------------------------------------------------


def test_missing_token_is_one_clear_line(project, world):
    result = drift(project, world, POSTMARK_ACCOUNT_TOKEN=None)

    assert result.exit_code == 4
    assert result.stderr.strip().splitlines() == [
        "POSTMARK_ACCOUNT_TOKEN is not set: export it with a Postmark account API token "
        "(Postmark > Account > API Tokens) to read the account's servers and domains."
    ]
    assert "Traceback" not in result.output
    assert world.fake.count_requests() == 0


def test_rejected_token_prints_postmarks_message_not_the_token(project, world):
    wrong = fake_token("account")

    result = drift(project, world, POSTMARK_ACCOUNT_TOKEN=wrong)

    assert result.exit_code == 4
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Request does not contain a valid Account token." in result.stderr
    assert "HTTP 401" in result.stderr
    assert wrong not in result.output and world.fake.account_token not in result.output
    assert "Traceback" not in result.output


def test_api_error_echoing_the_token_is_redacted(project, world):
    world.fake.fail_next(
        422, error_code=600, message=f"bad query for token {world.fake.account_token}"
    )

    result = drift(project, world)

    assert result.exit_code == 4
    assert "ErrorCode 600" in result.stderr and "bad query for token [redacted]" in result.stderr
    assert world.fake.account_token not in result.output


def test_a_wrong_base_url_is_one_line_naming_the_variable(project, world):
    # Something answers, but not Postmark (here: the moto server).
    result = drift(project, world, POSTMARK_API_URL=world.route53_url)

    assert result.exit_code == 4, result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Postmark: ") and "POSTMARK_API_URL" in line
    assert "Traceback" not in result.output


def test_unreachable_postmark_is_one_line(project, world):
    result = drift(project, world, POSTMARK_API_URL="http://127.0.0.1:9")  # discard port

    assert result.exit_code == 4
    [line] = result.stderr.strip().splitlines()
    assert "got no response" in line and "POSTMARK_API_URL" in line


def test_unreachable_route53_keeps_the_postmark_findings(project, world):
    world.deploy("staging")
    world.fake.add_server(ORPHAN)

    result = drift(project, world, "--json", "--route53-endpoint-url", "http://127.0.0.1:9")

    assert result.exit_code == 4
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Route 53 is unreachable at http://127.0.0.1:9")
    report = json.loads(result.stdout)
    assert report["result"] == "error" and report["error"] == line
    assert [f["subject"] for f in findings(result)] == [ORPHAN]  # what ran before it


def test_missing_aws_credentials_are_one_line(project, world):
    world.deploy("staging")

    result = drift(project, world, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)

    assert result.exit_code == 4
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Route 53: no AWS credentials found")


def test_a_hosted_zone_the_credentials_cannot_see_is_one_line(project, world):
    world.deploy("staging")
    prod_zone = world.mail("prod")["hostedZoneId"]

    result = drift(project, world, stack="prod")

    assert result.exit_code == 4
    assert "NoSuchHostedZone" in result.stderr and prod_zone in result.stderr
    assert "mail.hostedZoneId" in result.stderr


def test_stack_without_mail_says_so_and_needs_no_token(tmp_path, world):
    staging = platform_of("staging")
    del staging["mail"]
    mail_worker = staging["workers"]["bookmarks-mail-worker"]
    mail_worker["bindings"] = [
        b for b in mail_worker["bindings"] if b["name"] != "POSTMARK_SERVER_TOKEN"
    ]
    root = write_stacks(tmp_path / "project", staging=staging)

    result = drift(root, world, POSTMARK_ACCOUNT_TOKEN=None)

    assert result.exit_code == 0, result.output
    assert "stack 'staging' declares no `mail`" in result.stdout
    assert world.fake.count_requests() == 0


def test_invalid_config_of_another_stack_is_an_error_not_an_orphan(tmp_path, world):
    """If prod's config cannot be read, its server must not be reported as an orphan."""
    prod = platform_of("prod")
    prod["mail"]["hostedZoneId"] = "not-a-zone"
    root = write_stacks(tmp_path / "project", prod=prod)
    world.deploy("staging")
    world.fake.add_server(PROD_SERVER)

    result = drift(root, world)

    assert result.exit_code == 2
    assert "stack 'prod'" in result.stderr and "mail.hostedZoneId" in result.stderr
    assert PROD_SERVER not in result.stdout


def test_unknown_stack_is_a_usage_error(project, world):
    result = drift(project, world, "--json", stack="qa")
    assert result.exit_code == 2
    assert "no stack 'qa'" in result.stderr
    assert json.loads(result.stdout)["result"] == "error"


# -- GitHub job summary ---------------------------------------------------------------------------


def test_github_step_summary_gets_a_markdown_table(project, world, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    world.deploy("staging")
    world.fake.add_server(ORPHAN)

    result = drift(project, world, GITHUB_STEP_SUMMARY=str(summary))

    assert result.exit_code == 1, result.output
    text = summary.read_text()
    assert text.startswith("earlier step\n")  # appended, as GitHub expects
    assert "### Postmark and DNS drift: `staging`" in text
    assert "| finding | subject | ids | problem |" in text
    assert f"| orphan-server | `{ORPHAN}` |" in text
    assert STAGING_SERVER not in text
    assert world.fake.account_token not in text


def test_github_step_summary_records_a_missing_token(project, world, tmp_path):
    summary = tmp_path / "summary.md"

    result = drift(project, world, POSTMARK_ACCOUNT_TOKEN=None, GITHUB_STEP_SUMMARY=str(summary))

    assert result.exit_code == 4
    assert "POSTMARK_ACCOUNT_TOKEN is not set" in summary.read_text()
