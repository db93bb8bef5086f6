"""Rollback proof: repointing MAIL_SERVICE is one reviewed property, and its revert undoes it.

A temporary git repository holds a copy of this project's program with three commits: prod and
staging calling the legacy cosmos mail worker, the repoint to bookmarks-mail-worker, and
`git revert` of it. Each diff runs the real pipeline (base in a git worktree and a subprocess,
working tree in-process). The stacks are the repository's, mail delivery included.
"""

from __future__ import annotations

import pytest

from plan.diff.run import run_diff, stack_diff
from plan.diff.sides import SideResult
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


def write_stacks(root, use: int) -> None:
    for stack, services in MAIL_SERVICE.items():
        platform = platform_of(stack)
        set_binding(platform, "auth", "MAIL_SERVICE", service=services[use])
        write_stack(root, stack, platform)


@pytest.fixture(scope="module")
def diffs(tmp_path_factory):
    """{name: DiffReport}: the repoint, and before the repoint vs after its revert."""
    root = program_repo(tmp_path_factory.mktemp("rollback") / "repo")
    write_stacks(root, use=0)
    legacy = commit(root, "auth calls the legacy cosmos mail worker")
    write_stacks(root, use=1)
    repoint = commit(root, "Repoint MAIL_SERVICE to bookmarks-mail-worker")
    git(root, "revert", "--no-edit", repoint)
    reverted = git(root, "rev-parse", "HEAD")
    assert reverted not in (legacy, repoint)

    with program_modules_restored():
        git(root, "checkout", "--quiet", repoint)
        found = {"repoint": run_diff(root, legacy)}
        git(root, "checkout", "--quiet", reverted)
        found["round trip"] = run_diff(root, legacy)
    assert git(root, "worktree", "list", "--porcelain").count("worktree ") == 1
    return found


def revert_diff(diffs, stack):
    """Repoint -> revert, classified from the manifests both pipeline runs evaluated (the
    repoint's working tree and the revert's), which spares a third ~3 s run."""
    (before,) = [s for s in diffs["repoint"].stacks if s.stack == stack]
    (after,) = [s for s in diffs["round trip"].stacks if s.stack == stack]
    return stack_diff(stack, SideResult(manifest=before.head), SideResult(manifest=after.head))


def only_change(report, stack):
    (diff,) = [s for s in report.stacks if s.stack == stack]
    return only_change_of(diff)


def only_change_of(diff):
    assert diff.errors == [] and diff.outputs == []
    (change,) = diff.changes
    (prop,) = change.properties
    return change, prop


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_repoint_is_one_binding_update_on_the_auth_script(diffs, stack):
    change, prop = only_change(diffs["repoint"], stack)

    assert (change.op, change.type, change.name) == (
        "update",
        "cloudflare:index/workersScript:WorkersScript",
        "auth",
    )
    assert change.options == [] and change.old_urn is None
    assert (prop.path, prop.old, prop.new) == (
        "bindings[MAIL_SERVICE].service",
        *MAIL_SERVICE[stack],
    )
    assert not (prop.replaces or prop.may_replace or prop.secret)
    assert diffs["repoint"].dangers == [] and diffs["repoint"].errors == []


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_revert_is_the_inverse_update(diffs, stack):
    change, prop = only_change_of(revert_diff(diffs, stack))

    assert (change.op, change.name) == ("update", "auth")
    assert (prop.path, prop.old, prop.new) == (
        "bindings[MAIL_SERVICE].service",
        *reversed(MAIL_SERVICE[stack]),
    )


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_after_the_revert_the_stack_is_exactly_as_before(diffs, stack):
    (diff,) = [s for s in diffs["round trip"].stacks if s.stack == stack]

    assert diff.errors == [] and diff.changes == [] and diff.outputs == []
    assert diff.base.to_json() == diff.head.to_json()
    assert len(diff.head.resources) > 10  # the whole platform was compared, not nothing
