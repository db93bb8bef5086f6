"""`plan diff` end to end: check out the base, evaluate both sides, classify, run the policy."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from plan import worktree
from plan.diff import policy
from plan.diff.classify import diff_manifests
from plan.diff.code import code_changes
from plan.diff.model import DiffReport, SideError, StackDiff
from plan.diff.rollout import rollout_changes
from plan.diff.sides import SideResult, evaluate_side
from plan.stackfile import available_stacks


def run_diff(
    project_dir: Path, base_ref: str, stacks: Sequence[str] = (), *, allow_destroy: bool = False
) -> DiffReport:
    """Diff STACKS (default: every Pulumi.*.yaml of the working tree) from BASE_REF to the
    working tree at `project_dir`. Raises worktree.GitError for a bad ref or no repository."""
    started = time.perf_counter()
    project_dir = project_dir.resolve()
    repo = worktree.repo_root(project_dir)
    commit = worktree.resolve_commit(repo, base_ref)
    names = list(dict.fromkeys(stacks)) or available_stacks(project_dir)
    if not names:
        return DiffReport(base_ref=base_ref, base_commit=commit, stacks=[])
    in_repo = project_dir.relative_to(repo.resolve())

    # Both sides in this process, one after the other: the SDK and provider packages (most of
    # the cost) are imported once; the engine swaps in the base tree's own program modules for
    # its evaluations and puts the working tree's back afterwards.
    head_started = time.perf_counter()
    head = {s: evaluate_side(project_dir, s, "working tree") for s in names}
    head_seconds = time.perf_counter() - head_started
    with worktree.checkout(repo, commit) as tree:
        base_started = time.perf_counter()
        # The base's own tree: bundle pins are part of the commit (a path pin's bytes are
        # committed with it; a release pin's hash is the pin itself).
        base = {s: evaluate_side(tree / in_repo, s, "base") for s in names}
        base_seconds = time.perf_counter() - base_started

    report = DiffReport(
        base_ref=base_ref,
        base_commit=commit,
        stacks=[stack_diff(s, base[s], head[s]) for s in names],
        allow_destroy=allow_destroy,
    )
    with policy.policy_rules(project_dir) as rules:
        apply_policy(report, rules)
    report.timings = {
        "base": round(base_seconds, 3),
        "working_tree": round(head_seconds, 3),
        "total": round(time.perf_counter() - started, 3),
    }
    return report


def apply_policy(report: DiffReport, rules: policy.CheckManifest | None) -> None:
    """Run `rules` on each stack's working tree. A stack without one (not evaluated, or no
    stack file) stays unchecked, and the renderers say so instead of "no violations"."""
    report.policy_available = rules is not None
    for stack in report.stacks:
        if rules is not None and stack.head is not None:
            stack.violations = policy.check(rules, stack.head)
            stack.policy_checked = True


def stack_diff(stack: str, base: SideResult, head: SideResult) -> StackDiff:
    errors = [r.error for r in (base, head) if r.error is not None]
    if base.missing and head.missing:
        message = f"no Pulumi.{stack}.yaml in the working tree nor in the base"
        errors.append(SideError("working tree", "missing", message))
    diff = StackDiff(
        stack,
        base=base.manifest,
        head=head.manifest,
        errors=errors,
        base_missing=base.missing,
        head_missing=head.missing,
    )
    if not errors:
        diff.changes, diff.outputs = diff_manifests(base.manifest, head.manifest)
        diff.code = code_changes(base.manifest, head.manifest)
        diff.rollout = rollout_changes(base.manifest, head.manifest)
    return diff
