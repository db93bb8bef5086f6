"""The real pipeline end to end through the CLI: a broken base config, a stack new in the tree."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from plan.cli import app
from tests.plan_diff.gitrepo import (
    commit,
    git,
    offline_platform,
    program_modules_restored,
    program_repo,
    set_binding,
    write_stack,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    root = program_repo(tmp_path_factory.mktemp("pipeline") / "repo")
    broken = offline_platform("prod")
    set_binding(broken, "auth", "MAIL_SERVICE", service="no-such-worker")
    write_stack(root, "prod", broken)
    base = commit(root, "prod binds an undeclared worker; no staging yet")
    write_stack(root, "prod", offline_platform("prod"))  # fixed, uncommitted
    write_stack(root, "staging", offline_platform("staging"))  # new, uncommitted
    with program_modules_restored():
        outcome = CliRunner().invoke(
            app, ["--config-dir", str(root), "diff", "--base", base, "--format", "json"]
        )
    assert git(root, "worktree", "list", "--porcelain").count("worktree ") == 1
    return outcome


def stack(result, name):
    (found,) = [s for s in json.loads(result.stdout)["stacks"] if s["stack"] == name]
    return found


def test_config_error_in_the_base_exits_2_and_says_base(result):
    assert result.exit_code == 2
    prod = stack(result, "prod")
    (error,) = prod["errors"]
    assert (error["side"], error["kind"]) == ("base", "config")
    assert "workers.auth.bindings" in error["message"] and "no-such-worker" in error["message"]
    assert (prod["base"], prod["working_tree"], prod["resources"]) == ("error", "present", [])


def test_stack_missing_in_the_base_is_all_added(result):
    staging = stack(result, "staging")

    assert (staging["base"], staging["working_tree"], staging["errors"]) == (
        "missing",
        "present",
        [],
    )
    assert {r["op"] for r in staging["resources"]} == {"add"}
    assert "cloudflare:index/workerVersion:WorkerVersion" in {
        r["type"] for r in staging["resources"]
    }
    assert staging["summary"]["add"] == len(staging["resources"]) > 10


SIGNING_VALUE = "fake-signing-0d9c8b7a6f5e"


@pytest.fixture(scope="module")
def flagged(tmp_path_factory):
    """Base: both stacks fine. Working tree: staging's auth gains a plain-text binding named
    like a secret; prod's stack file no longer validates. Diffed as the pull-request comment."""
    root = program_repo(tmp_path_factory.mktemp("flagged") / "repo")
    for name in ("staging", "prod"):
        write_stack(root, name, offline_platform(name))
    base = commit(root, "both stacks")
    staging = offline_platform("staging")
    staging["workers"]["auth"]["bindings"].append({"name": "SIGNING_SECRET", "text": SIGNING_VALUE})
    write_stack(root, "staging", staging)
    broken = offline_platform("prod")
    set_binding(broken, "auth", "MAIL_SERVICE", service="no-such-worker")
    write_stack(root, "prod", broken)
    with program_modules_restored():
        return CliRunner().invoke(
            app, ["--config-dir", str(root), "diff", "--base", base, "--format", "markdown"]
        )


def test_the_flagged_value_is_masked_in_the_comment_and_the_binding_flagged(flagged):
    assert flagged.exit_code == 2  # prod's working tree does not validate
    assert SIGNING_VALUE not in flagged.stdout
    assert "bindings[SIGNING_SECRET]" in flagged.stdout
    assert "(hidden: plain text named like a secret)" in flagged.stdout
    assert "`secret-binding-not-plain-text`" in flagged.stdout


def test_a_stack_that_did_not_evaluate_is_not_said_to_have_no_violations(flagged):
    assert "**Policy**: not checked on prod (did not evaluate in the working tree)." in (
        flagged.stdout
    )
    assert "no violations" not in flagged.stdout
