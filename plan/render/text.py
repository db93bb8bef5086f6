"""Terminal rendering of a plan diff (rich styles; plain text when stdout is not a terminal)."""

from __future__ import annotations

from rich.text import Text

from plan.diff.model import DiffReport, PropertyChange, ResourceChange, StackDiff
from plan.render import diff_words as words

OP_STYLE = {
    "add": "green",
    "remove": "red",
    "update": "yellow",
    "replace": "bold magenta",
    "move": "cyan",
}
KIND_STYLE = {"add": "green", "remove": "red", "update": "yellow"}
KIND_MARK = {"add": "+", "remove": "-", "update": "~"}


def render_text(report: DiffReport) -> Text:
    out = Text()
    out.append(f"Plan diff: working tree against {words.side_label(report, 'base')}\n", "bold")
    out.append("Offline: Pulumi SDK mock engine, no cloud calls.\n\n", "dim")
    _dangers(out, report)
    _errors(out, report)
    for stack in report.stacks:
        _stack(out, stack)
    _policy(out, report)
    if report.timings:
        t = report.timings
        out.append(
            f"Timing: base {t['base']:.2f}s "
            f"working tree {t['working_tree']:.2f}s, total {t['total']:.2f}s\n",
            "dim",
        )
    return out


def _dangers(out: Text, report: DiffReport) -> None:
    if not report.dangers:
        return
    out.append(words.danger_headline(report) + "\n", "red" if report.allow_destroy else "bold red")
    for stack, change in report.dangers:
        out.append(f"  {stack}: {words.danger_text(change)}\n", "red")
    out.append("\n")


def _errors(out: Text, report: DiffReport) -> None:
    for stack, error in report.errors:
        out.append(words.error_headline(report, stack, error) + ":\n", "bold red")
        for line in error.message.splitlines():
            out.append(f"    {line}\n")
        out.append("\n")


def _stack(out: Text, stack: StackDiff) -> None:
    out.append(f"{stack.stack}: ", "bold")
    out.append(words.stack_summary(stack) + "\n")
    for line in (*stack.code, *stack.rollout):
        out.append(f"  {line.worker} ", "bold")
        out.append(line.text() + "\n", "cyan")
    for change in stack.changes:
        _resource(out, change)
    if stack.outputs:
        out.append("  Outputs:\n", "bold")
        for p in stack.outputs:
            _property(out, p, "      ")
    out.append("\n")


def _resource(out: Text, change: ResourceChange) -> None:
    style = OP_STYLE[change.op]
    out.append(f"  {words.OP_MARK[change.op]:<2} ", style)
    out.append(f"{words.short_type(change.type)} ", style)
    out.append(change.name, style + " bold")
    if change.op != "update" or change.may_replace or change.old_urn:
        out.append(f"  ({words.op_label(change)})", style)
    if change.dangerous:
        out.append("  DATA-LOSS RISK", "bold red")
    out.append("\n")
    if change.old_urn:
        out.append(f"      from {change.old_urn}\n", "dim")
    for option in change.options:
        out.append(f"      ~ [{option.option}] ", "yellow")
        out.append(f"{words.value(option.old)} -> {words.value(option.new)}\n")
    if change.op == "remove":
        return
    for p in change.properties:
        _property(out, p, "      ")


def _property(out: Text, p: PropertyChange, pad: str) -> None:
    style = "yellow" if p.secret or p.masked else KIND_STYLE[p.kind]
    out.append(f"{pad}{KIND_MARK[p.kind]} ", style)
    out.append(words.property_text(p))
    note = words.property_note(p)
    if note:
        out.append(f"  ({note})", "bold magenta" if p.replaces or p.may_replace else "dim")
    out.append("\n")


def _policy(out: Text, report: DiffReport) -> None:
    if not report.policy_available:
        out.append("Policy: not run (stacks/guards/rules.py is not in this tree yet)\n\n", "dim")
        return
    violations = report.violations
    checked, not_checked = words.policy_checked(report), words.policy_not_checked(report)
    if violations:
        out.append(f"Policy: {len(violations)} violation(s)\n", "bold yellow")
        for stack, v in violations:
            out.append(f"  {stack}  {v.rule}  ", "yellow")
            out.append(f"{v.urn}\n", "dim")
            out.append(f"      {v.message}\n")
    elif checked:
        out.append(f"Policy: no violations ({', '.join(checked)})\n", "green")
    if not_checked:
        out.append(f"Policy: not checked on {', '.join(not_checked)}\n", "bold yellow")
    out.append("\n")
