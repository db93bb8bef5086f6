"""`python -m plan diff` options and exit codes (0 ok, 1 policy, 2 error, 3 data-loss risk)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import plan.diff.run
from plan.cli import app
from plan.diff.model import SideError, Violation
from tests.plan_diff.builders import D1, SCRIPT, base_platform, edited, find, report
from tests.plan_diff.gitrepo import git
from tests.support.project import REPO

runner = CliRunner()


def repointed():
    base = base_platform()
    head = edited(base)
    find(head, SCRIPT, "auth").inputs["bindings"][1]["service"] = "bookmarks-mail-worker"
    return base, head


def destroyed():
    base = base_platform()
    head = edited(base)
    head.resources = [r for r in head.resources if r.type != D1]
    return base, head


@pytest.fixture
def diff_returns(monkeypatch):
    """Make `plan diff` report hand-built stacks; records the arguments it was called with
    (the tree it was asked to diff in `directories`)."""
    calls = []

    def install(*stacks, violations=(), errors=()):
        def fake_run_diff(project_dir, base_ref, names, *, allow_destroy=False):
            calls.append((base_ref, list(names), allow_destroy))
            directories.append(project_dir)
            r = report(*stacks, allow_destroy=allow_destroy)
            r.stacks[0].violations = list(violations)
            r.stacks[0].errors = list(errors)
            return r

        monkeypatch.setattr(plan.diff.run, "run_diff", fake_run_diff)
        return calls

    directories: list = []
    install.directories = directories
    return install


def invoke(*args):
    return runner.invoke(app, ["diff", *args])


def test_update_exits_0_and_passes_ref_and_stacks(diff_returns):
    calls = diff_returns(repointed())

    result = invoke("--base", "origin/main", "prod")

    assert result.exit_code == 0, result.output
    assert calls == [("origin/main", ["prod"], False)]
    assert "bindings[MAIL_SERVICE].service" in result.output


def test_data_loss_risk_exits_3_unless_allowed(diff_returns):
    diff_returns(destroyed())

    refused = invoke("--base", "main")
    allowed = invoke("--base", "main", "--allow-destroy")

    assert refused.exit_code == 3
    assert refused.output.splitlines()[3].startswith("DATA-LOSS RISK")
    assert allowed.exit_code == 0
    assert "allowed by --allow-destroy" in allowed.output


VIOLATION = Violation("d1-read-replication", "urn:d1", "set read_replication")


def test_policy_violation_exits_1(diff_returns):
    diff_returns(repointed(), violations=[VIOLATION])

    result = invoke("--base", "main")

    assert result.exit_code == 1
    assert "d1-read-replication" in result.output


def test_danger_outranks_policy_and_allowed_danger_leaves_policy(diff_returns):
    diff_returns(destroyed(), violations=[VIOLATION])

    assert invoke("--base", "main").exit_code == 3
    assert invoke("--base", "main", "--allow-destroy").exit_code == 1


def test_error_on_a_side_exits_2_and_names_the_side(diff_returns):
    error = SideError("base", "config", "stack 'prod': 1 config problem\n  - workers: bad")
    diff_returns(repointed(), errors=[error])

    result = invoke("--base", "main", "--format", "json")

    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["exit_code"] == 2
    assert data["stacks"][0]["errors"][0]["side"] == "base"


def test_markdown_format(diff_returns):
    diff_returns(repointed())

    result = invoke("--base", "main", "--format", "markdown")

    assert result.exit_code == 0
    assert "**Summary**" in result.output and "```mermaid" in result.output


def test_bad_ref_exits_2_with_a_clear_message(tmp_path):
    git(tmp_path, "init", "--quiet")

    result = runner.invoke(app, ["--config-dir", str(tmp_path), "diff", "--base", "no-such-ref"])

    assert result.exit_code == 2
    assert "base ref 'no-such-ref' is not a commit" in result.output


def test_not_a_repository_exits_2(tmp_path):
    result = runner.invoke(app, ["--config-dir", str(tmp_path), "diff", "--base", "main"])

    assert result.exit_code == 2
    assert "not in a git repository" in result.output


def test_help_documents_the_exit_codes():
    result = runner.invoke(app, ["diff", "--help"], env={"COLUMNS": "120"})

    for line in ("0  nothing to flag", "1  policy violations", "2  config or program error"):
        assert line in result.output
    assert "3  data-loss risk, without --allow-destroy" in result.output


def test_no_stacks_exits_2(tmp_path):
    git(tmp_path, "init", "--quiet")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit",
        "--quiet", "--allow-empty", "--no-gpg-sign", "-m", "empty")  # fmt: skip

    result = runner.invoke(app, ["--config-dir", str(tmp_path), "diff", "--base", "HEAD"])

    assert result.exit_code == 2
    assert "no stacks to diff" in result.output


def test_the_global_config_dir_is_the_tree_that_is_diffed(diff_returns, tmp_path):
    diff_returns(repointed())

    default = invoke("--base", "main")
    elsewhere = runner.invoke(app, ["--config-dir", str(tmp_path), "diff", "--base", "main"])

    assert default.exit_code == elsewhere.exit_code == 0
    assert diff_returns.directories == [REPO, tmp_path.resolve()]


def test_diff_has_no_option_of_its_own_naming_another_tree(tmp_path):
    result = invoke("--base", "main", "--project-dir", str(tmp_path))

    assert result.exit_code == 2
    assert "No such option" in result.output
