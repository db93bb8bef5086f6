"""`python -m plan check STACK`: the rules over a stack's offline plan; exit 0, 1 or 2."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from plan.cli import app
from tests.support.project import platform_of, write_project


def check(*args: str):
    return CliRunner().invoke(app, [*args])


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_repository_stacks_pass_check(stack):
    result = check("check", stack)
    assert result.exit_code == 0, result.output
    assert f"stack '{stack}': no policy violations (9 rules," in result.output


def test_a_violation_is_printed_with_rule_resource_and_message_and_exits_1(tmp_path):
    # A plain-text binding named like a secret passes the config schema, but not the policy.
    platform = platform_of("staging")
    platform["workers"]["auth"]["bindings"].append(
        {"name": "SIGNING_SECRET", "text": "not-for-printing"}
    )
    root = write_project(tmp_path, "staging", platform)

    result = check("--config-dir", str(root), "check", "staging")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert "stack 'staging': 1 policy violation" in lines
    # The bindings are the version's: the violation names the auth worker's WorkerVersion.
    version = re.escape("auth-version-") + "[0-9a-f]{10}"
    rule = re.escape("  - [secret-binding-not-plain-text] ")
    kind = re.escape(" (cloudflare:index/workerVersion:WorkerVersion)")
    [label] = [line for line in lines if re.fullmatch(rule + version + kind, line)]
    name = label.split("] ", 1)[1].split(" ", 1)[0]
    assert f"binding SIGNING_SECRET of worker version '{name}' looks like a secret" in result.output
    assert "not-for-printing" not in result.output


def test_external_workers_are_read_from_the_config_directory(tmp_path):
    # Not in the repository's Pulumi.staging.yaml: only the config directory's file lists it.
    platform = platform_of("staging")
    platform["externalWorkers"].append("legacy-worker-staging")
    platform["workers"]["auth"]["bindings"].append(
        {"name": "LEGACY", "service": "legacy-worker-staging"}
    )
    root = write_project(tmp_path, "staging", platform)
    result = check("--config-dir", str(root), "check", "staging")
    assert result.exit_code == 0, result.output


def test_config_error_exits_2(tmp_path):
    platform = platform_of("staging")
    platform["environment"] = "prod"
    root = write_project(tmp_path, "staging", platform)
    result = check("--config-dir", str(root), "check", "staging")
    assert result.exit_code == 2
    assert "environment: is 'prod' but the stack is 'staging'" in result.output


def test_unknown_stack_exits_2():
    result = check("check", "qa")
    assert result.exit_code == 2
    assert "no stack 'qa'" in result.output
