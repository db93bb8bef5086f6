"""Wording shared by the diff renderers (text, markdown): values, ops, summaries, risks."""

from __future__ import annotations

import json
from typing import Any

from plan.diff.model import (
    ABSENT,
    MASKED,
    DiffReport,
    PropertyChange,
    ResourceChange,
    SideError,
    StackDiff,
)
from plan.diff.properties import has_unknown

OP_MARK = {"add": "+", "remove": "-", "update": "~", "replace": "+-", "move": ">"}
OP_VERB = {
    "add": "to add",
    "remove": "to remove",
    "update": "to update",
    "replace": "to replace",
    "move": "to move",
}
SUMMARY_ORDER = ("replace", "remove", "update", "move", "add")


def value(v: Any) -> str:
    if v is ABSENT:
        return "(absent)"
    return json.dumps(v, sort_keys=True, ensure_ascii=False)


def property_text(p: PropertyChange) -> str:
    """`path: old -> new`, or for a secret only that it changed."""
    if p.secret:
        what = {"add": "secret added", "remove": "secret removed", "update": "secret changed"}
        return f"{p.path}: {what[p.kind]}"
    if p.masked:
        what = {"add": "added", "remove": "removed", "update": "changed"}
        return f"{p.path}: {what[p.kind]} {MASKED}"
    if p.kind == "add":
        return f"{p.path}: {value(p.new)}"
    if p.kind == "remove":
        return f"{p.path}: {value(p.old)}"
    return f"{p.path}: {value(p.old)} -> {value(p.new)}"


def property_note(p: PropertyChange) -> str:
    notes = []
    if p.replaces:
        notes.append("forces replacement")
    if p.may_replace:
        unknown = has_unknown(p.old) or has_unknown(p.new)
        notes.append("may force replacement" + (": known only after apply" if unknown else ""))
    if p.cause:
        notes.append(p.cause)
    return "; ".join(notes)


def short_type(type_: str) -> str:
    """`cloudflare WorkersScript`, `postmark Server`, `edge Worker`."""
    parts = type_.split(":")
    package = parts[0]
    if package == "pulumi-python" and len(parts) > 1 and "/" in parts[1]:
        package = parts[1].split("/", 1)[1]
    return f"{package} {parts[-1]}"


def op_label(change: ResourceChange) -> str:
    label = change.op
    if change.may_replace:
        label += ", may replace"
    if change.old_urn and change.op != "move":
        label += ", moved"
    return label


def stack_summary(stack: StackDiff) -> str:
    if stack.errors:
        sides = sorted({e.side for e in stack.errors})
        return f"not compared: error on the {' and '.join(sides)} side"
    counts = stack.counts()
    parts = [f"{counts[op]} {OP_VERB[op]}" for op in SUMMARY_ORDER if counts[op]]
    if stack.outputs:
        parts.append(f"{len(stack.outputs)} output change{'s' if len(stack.outputs) != 1 else ''}")
    text = ", ".join(parts) or "no changes"
    if stack.base_missing:
        text += " (new stack: not in the base)"
    if stack.head_missing:
        text += " (stack file removed in the working tree)"
    return text


def danger_text(change: ResourceChange) -> str:
    """What `pulumi up` will do to a stateful resource this change removes or replaces."""
    subject = f"{short_type(change.type)} {change.name}"
    verb = "removed" if change.op == "remove" else "replaced"
    if change.refused:
        where = "in the state" if change.op == "remove" else "before and after this change"
        what = (
            f"would be {verb}, but `pulumi up` refuses: it is protected {where}; unprotect it "
            "first (in the program, or `pulumi state unprotect`)"
        )
    elif change.may_replace:
        what = "may be replaced"
    else:
        what = f"will be {verb}"
    notes = []
    if change.op != "remove" and change.protect and not change.protect_after:
        notes.append("unprotected by this change, which the engine applies before replacing")
    if change.retain_on_delete:
        notes.append("retain_on_delete: the cloud resource is kept but leaves Pulumi's state")
    suffix = f" ({'; '.join(notes)})" if notes else ""
    return f"{subject} {what}{suffix}"


def danger_headline(report: DiffReport) -> str:
    count = len(report.dangers)
    noun = "resource" if count == 1 else "resources"
    head = f"DATA-LOSS RISK: {count} stateful {noun} removed or replaced"
    if report.allow_destroy:
        return head + " (allowed by --allow-destroy)"
    return head + " (exit 3; pass --allow-destroy if this is intended)"


def policy_checked(report: DiffReport) -> list[str]:
    """The stacks the policy rules ran on."""
    return [s.stack for s in report.stacks if s.policy_checked]


def policy_not_checked(report: DiffReport) -> list[str]:
    """`stack (why)` for each stack the rules did not run on: "no violations" says nothing."""
    found = []
    for s in report.stacks:
        if not s.policy_checked:
            why = "no stack file" if s.head_missing else "did not evaluate"
            found.append(f"{s.stack} ({why} in the working tree)")
    return found


def side_label(report: DiffReport, side: str) -> str:
    if side == "base":
        return f"base {report.base_ref} ({report.base_commit[:12]})"
    return side


def error_headline(report: DiffReport, stack: str, error: SideError) -> str:
    if error.kind == "missing":
        return f"Unknown stack {stack}"
    title = "Config error" if error.kind == "config" else "Program error"
    return f"{title} in stack {stack}, {side_label(report, error.side)}"
