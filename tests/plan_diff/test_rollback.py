"""Rollout and rollback proof: the MAIL_SERVICE migration as the runbook's PR sequence.

A temporary git repository holds a copy of this project's program with the commits of the
runbook: auth calling the legacy cosmos mail worker; PR 1, a candidate version of auth calling
bookmarks-mail-worker at 10%; PR 2, the candidate at 100%; PR 3, the candidate promoted to
stable; and `git revert` of PR 1 (the rollback at the first step). Each diff runs the real
pipeline (base in a git worktree and a subprocess, working tree in-process). The stacks are the
repository's, mail delivery included.
"""

from __future__ import annotations

import copy

import pytest

from plan.diff.run import run_diff
from tests.plan_diff.gitrepo import (
    commit,
    git,
    program_modules_restored,
    program_repo,
    set_binding,
    write_stack,
)
from tests.support.project import platform_of

pytestmark = pytest.mark.slow

MAIL_SERVICE = {
    "prod": ("cosmos-mail-worker", "bookmarks-mail-worker"),
    "staging": ("cosmos-mail-worker-staging", "bookmarks-mail-worker-staging"),
}
VERSION = "cloudflare:index/workerVersion:WorkerVersion"
DEPLOYMENT = "cloudflare:index/workersDeployment:WorkersDeployment"


def legacy(stack: str) -> dict:
    platform = copy.deepcopy(platform_of(stack))
    set_binding(platform, "auth", "MAIL_SERVICE", service=MAIL_SERVICE[stack][0])
    return platform


def with_candidate(stack: str, percentage: float) -> dict:
    platform = legacy(stack)
    platform["workers"]["auth"]["candidate"] = {
        "percentage": percentage,
        "bindings": [{"name": "MAIL_SERVICE", "service": MAIL_SERVICE[stack][1]}],
    }
    return platform


def promoted(stack: str) -> dict:
    platform = copy.deepcopy(platform_of(stack))
    set_binding(platform, "auth", "MAIL_SERVICE", service=MAIL_SERVICE[stack][1])
    return platform


STEPS = {
    "legacy": legacy,
    "pr1": lambda stack: with_candidate(stack, 10),
    "pr2": lambda stack: with_candidate(stack, 100),
    "pr3": promoted,
}


def write_step(root, step: str) -> None:
    for stack in MAIL_SERVICE:
        write_stack(root, stack, STEPS[step](stack))


@pytest.fixture(scope="module")
def diffs(tmp_path_factory):
    """{step: DiffReport of that commit against the one before}; "rollback" is the revert of
    PR 1 against PR 1."""
    root = program_repo(tmp_path_factory.mktemp("rollout") / "repo")
    commits = {}
    for step in STEPS:
        write_step(root, step)
        commits[step] = commit(root, f"step {step}")
    with program_modules_restored():
        found = {}
        for before, after in (("legacy", "pr1"), ("pr1", "pr2"), ("pr2", "pr3")):
            git(root, "checkout", "--quiet", commits[after])
            found[after] = run_diff(root, commits[before])
        git(root, "checkout", "--quiet", commits["pr1"])
        git(root, "switch", "--quiet", "-c", "rollback")
        git(root, "revert", "--no-edit", commits["pr1"])
        found["rollback"] = run_diff(root, commits["pr1"])
        found["round trip"] = run_diff(root, commits["legacy"])
    assert git(root, "worktree", "list", "--porcelain").count("worktree ") == 1
    return found


def stack_of(report, stack):
    (diff,) = [s for s in report.stacks if s.stack == stack]
    assert diff.errors == []
    return diff


def touched(diff) -> list[tuple[str, str, str]]:
    """(op, type, name) of every changed resource."""
    return sorted((c.op, c.type, c.name) for c in diff.changes)


def versions(diff, side: str) -> dict[str, str]:
    """Version resource name -> role, on one side of the diff."""
    manifest = diff.base if side == "base" else diff.head
    outputs = manifest.outputs["workers"]["auth"]["versions"]
    return {f"auth-version-{v['key']}": v["role"] for v in outputs}


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_pr1_uploads_the_candidate_and_splits_traffic_90_10(diffs, stack):
    diff = stack_of(diffs["pr1"], stack)
    (candidate,) = [n for n, role in versions(diff, "head").items() if role == "candidate"]

    assert touched(diff) == [
        ("add", VERSION, candidate),
        ("replace", DEPLOYMENT, "auth-deployment"),
    ]
    (added,) = [c for c in diff.changes if c.op == "add"]
    bindings = next(p.new for p in added.properties if p.path == "bindings")
    assert {"name": "MAIL_SERVICE", "service": MAIL_SERVICE[stack][1], "type": "service"} in (
        bindings
    )
    (rollout,) = diff.rollout
    assert [(s.role, s.percentage) for s in rollout.old] == [("stable", 100)]
    assert [(s.role, s.percentage) for s in rollout.new] == [("stable", 90), ("candidate", 10)]
    assert diffs["pr1"].dangers == []


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_pr2_moves_all_traffic_and_touches_only_the_deployment(diffs, stack):
    diff = stack_of(diffs["pr2"], stack)

    assert touched(diff) == [("replace", DEPLOYMENT, "auth-deployment")]
    (rollout,) = diff.rollout
    assert [(s.role, s.percentage) for s in rollout.new] == [("stable", 0), ("candidate", 100)]


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_pr3_promotion_keeps_the_candidate_version_and_changes_nothing_live(diffs, stack):
    diff = stack_of(diffs["pr3"], stack)
    old_versions = versions(diff, "base")
    (stable_before,) = [n for n, role in old_versions.items() if role == "stable"]
    (candidate_before,) = [n for n, role in old_versions.items() if role == "candidate"]

    # The promoted version is the candidate's resource; the old stable one leaves the state
    # (a WorkerVersion's delete does nothing in Cloudflare); the deployment is unchanged.
    assert versions(diff, "head") == {candidate_before: "stable"}
    assert touched(diff) == [("remove", VERSION, stable_before)]


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_rollback_of_pr1_touches_the_deployment_and_drops_the_candidate(diffs, stack):
    diff = stack_of(diffs["rollback"], stack)
    (candidate,) = [n for n, role in versions(diff, "base").items() if role == "candidate"]

    assert touched(diff) == [
        ("remove", VERSION, candidate),
        ("replace", DEPLOYMENT, "auth-deployment"),
    ]
    (rollout,) = diff.rollout
    assert [(s.role, s.percentage) for s in rollout.new] == [("stable", 100)]
    assert diffs["rollback"].dangers == []


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_after_the_revert_the_stack_is_exactly_as_before(diffs, stack):
    diff = stack_of(diffs["round trip"], stack)

    assert diff.changes == [] and diff.outputs == [] and diff.rollout == []
    assert without_annotations(diff.base.to_json()) == without_annotations(diff.head.to_json())
    assert len(diff.head.resources) > 10  # the whole platform was compared, not nothing


def without_annotations(manifest: dict) -> dict:
    """The manifest less the inputs the engine ignores once created (the creating commit)."""
    for resource in manifest["resources"]:
        for key in resource["ignore_changes"]:
            assert key in resource["inputs"], f"{resource['urn']} ignores an input it lacks"
            resource["inputs"].pop(key)
    return manifest
