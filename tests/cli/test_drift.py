"""`python -m plan drift STACK`: Postmark servers matching the prefix that no stack declares.

Runs against the local Postmark-compatible fake (tests/fakes/postmark_server.py), not Postmark.
The project holds both stacks of the repository; their servers are
`edge-staging-example-bookmarks-staging-mail` and `edge-prod-example-bookmarks-mail`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plan.cli import app
from tests.fakes.postmark_server import FakePostmark, fake_token
from tests.support.project import platform_of, write_project

STAGING_SERVER = "edge-staging-example-bookmarks-staging-mail"
PROD_SERVER = "edge-prod-example-bookmarks-mail"
ORPHAN = "edge-staging-example-old-mail"
ORPHAN_OFF_RULE = "edge-scratch"
OTHER_PREFIX = "billing-staging-example-bookmarks-mail"


def write_stacks(root: Path, staging: dict | None = None, prod: dict | None = None) -> Path:
    write_project(root, "staging", staging or platform_of("staging"), bundles=False)
    write_project(root, "prod", prod or platform_of("prod"), bundles=False)
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return write_stacks(tmp_path_factory.mktemp("drift"))


@pytest.fixture
def fake() -> Iterator[FakePostmark]:
    with FakePostmark(account_token=fake_token("account")) as running:
        yield running


def drift(project: Path, fake: FakePostmark, stack: str = "staging", **env: str | None):
    """Run the command with the fake's URL and token; `env` overrides (None unsets).
    GITHUB_STEP_SUMMARY is unset unless given, so a CI run of the tests never writes to the real
    job summary."""
    environment: dict[str, str | None] = {**fake.env(), "GITHUB_STEP_SUMMARY": None, **env}
    return CliRunner().invoke(app, ["--config-dir", str(project), "drift", stack], env=environment)


def orphan_lines(output: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, ln in enumerate(lines) if "orphan(s)" in ln)
    return [ln for ln in lines[start + 1 :] if ln.startswith("  - ")]


def test_orphan_is_reported_with_the_rule_it_matches(project, fake):
    for name in (STAGING_SERVER, PROD_SERVER, ORPHAN, ORPHAN_OFF_RULE, OTHER_PREFIX):
        fake.add_server(name)
    orphan_id = fake.server_named(ORPHAN)["ID"]

    result = drift(project, fake)

    assert result.exit_code == 1, result.output
    found = orphan_lines(result.stdout)
    assert len(found) == 2, found
    assert found[0].startswith(f"  - {ORPHAN_OFF_RULE} ")
    assert "not {prefix}-{env}-{slug}" in found[0]
    assert found[1] == (
        f"  - {ORPHAN} (server id {orphan_id}): "
        "{prefix}-{env}-{slug} with prefix=edge, env=staging, slug=example-old-mail"
    )
    assert "delete it in Postmark" in result.stdout


def test_declared_servers_of_every_stack_are_not_orphans(project, fake):
    """Prod's server is not an orphan of the staging check: all stacks' names count."""
    fake.add_server(STAGING_SERVER)
    fake.add_server(PROD_SERVER)

    result = drift(project, fake)

    assert result.exit_code == 0, result.output
    assert "No orphans" in result.stdout
    assert f"{STAGING_SERVER} (stack staging)" in result.stdout
    assert f"{PROD_SERVER} (stack prod)" in result.stdout


def test_server_with_another_prefix_is_ignored(project, fake):
    fake.add_server(OTHER_PREFIX)
    fake.add_server("edgeless-staging-example-mail")  # shares letters, not the `edge-` prefix

    result = drift(project, fake)

    assert result.exit_code == 0, result.output
    assert OTHER_PREFIX not in result.output
    assert "Account servers named 'edge-...': 0 of 2." in result.stdout


def test_orphan_on_a_later_page_is_found(project, fake):
    for i in range(120):  # more than one page of GET /servers
        fake.add_server(f"billing-prod-tenant-{i:03d}")
    fake.add_server(ORPHAN)

    result = drift(project, fake)

    assert result.exit_code == 1, result.output
    assert [ln.split()[1] for ln in orphan_lines(result.stdout)] == [ORPHAN]
    assert fake.count_requests("GET", "/servers") >= 2


def test_missing_token_is_one_clear_line(project, fake):
    result = drift(project, fake, POSTMARK_ACCOUNT_TOKEN=None)

    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "POSTMARK_ACCOUNT_TOKEN is not set: export it with a Postmark account API token "
        "(Postmark > Account > API Tokens) to list the account's servers."
    ]
    assert "Traceback" not in result.output
    assert fake.count_requests() == 0


def test_rejected_token_prints_postmarks_message_not_the_token(project, fake):
    wrong = fake_token("account")

    result = drift(project, fake, POSTMARK_ACCOUNT_TOKEN=wrong)

    assert result.exit_code == 2
    assert "Request does not contain a valid Account token." in result.stderr
    assert "HTTP 401" in result.stderr
    assert wrong not in result.output and fake.account_token not in result.output
    assert "Traceback" not in result.output


def test_api_error_echoing_the_token_is_redacted(project, fake):
    fake.fail_next(422, error_code=600, message=f"bad query for token {fake.account_token}")

    result = drift(project, fake)

    assert result.exit_code == 2
    assert "ErrorCode 600" in result.stderr and "bad query for token" in result.stderr
    assert fake.account_token not in result.output


def test_stack_without_mail_says_so_and_needs_no_token(tmp_path, fake):
    staging = platform_of("staging")
    del staging["mail"]
    mail_worker = staging["workers"]["bookmarks-mail-worker"]
    mail_worker["bindings"] = [
        b for b in mail_worker["bindings"] if b["name"] != "POSTMARK_SERVER_TOKEN"
    ]
    root = write_stacks(tmp_path / "project", staging=staging)

    result = drift(root, fake, POSTMARK_ACCOUNT_TOKEN=None)

    assert result.exit_code == 0, result.output
    assert "stack 'staging' declares no `mail`" in result.stdout
    assert fake.count_requests() == 0


def test_invalid_config_of_another_stack_is_an_error_not_an_orphan(tmp_path, fake):
    """If prod's config cannot be read, its server must not be reported as an orphan."""
    prod = platform_of("prod")
    prod["mail"]["hostedZoneId"] = "not-a-zone"
    root = write_stacks(tmp_path / "project", prod=prod)
    fake.add_server(STAGING_SERVER)
    fake.add_server(PROD_SERVER)

    result = drift(root, fake)

    assert result.exit_code == 2
    assert "stack 'prod'" in result.stderr and "mail.hostedZoneId" in result.stderr
    assert PROD_SERVER not in result.stdout


def test_unknown_stack_is_a_config_error(project, fake):
    result = drift(project, fake, stack="qa")
    assert result.exit_code == 2
    assert "no stack 'qa'" in result.stderr


def test_github_step_summary_gets_a_markdown_table(project, fake, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    fake.add_server(STAGING_SERVER)
    fake.add_server(ORPHAN)

    result = drift(project, fake, GITHUB_STEP_SUMMARY=str(summary))

    assert result.exit_code == 1, result.output
    text = summary.read_text()
    assert text.startswith("earlier step\n")  # appended, as GitHub expects
    assert "### Postmark orphan check: `staging`" in text
    assert "| server | id | naming rule it matches |" in text
    assert f"| `{ORPHAN}` |" in text
    assert STAGING_SERVER not in text
    assert fake.account_token not in text


def test_github_step_summary_records_a_missing_token(project, fake, tmp_path):
    summary = tmp_path / "summary.md"

    result = drift(project, fake, POSTMARK_ACCOUNT_TOKEN=None, GITHUB_STEP_SUMMARY=str(summary))

    assert result.exit_code == 2
    assert "POSTMARK_ACCOUNT_TOKEN is not set" in summary.read_text()
