"""The plan diff as a pull-request comment (GitHub-flavoured Markdown).

Risks and errors first (GitHub alerts), a summary line per stack, then per changed stack a table,
the property diffs in collapsible <details>, and a Mermaid graph of workers and their bindings.
Headings start at level 4: CI puts the comment under its own `###` title.
"""

from __future__ import annotations

from plan.diff.model import DiffReport, PropertyChange, ResourceChange, StackDiff
from plan.render import diff_words as words
from plan.render.mermaid import LEGEND, mermaid_graph

MAX_PATHS_IN_TABLE = 3


def render_markdown(report: DiffReport) -> str:
    base = words.side_label(report, "base")
    parts = [f"Working tree against {_code(base)} · offline, mock engine, no cloud calls.\n"]
    parts += _dangers(report)
    parts += _errors(report)
    parts.append("**Summary**\n")
    parts += [f"- **{s.stack}**: {words.stack_summary(s)}" for s in report.stacks]
    parts.append("")
    for stack in report.stacks:
        if stack.changes or stack.outputs:
            parts += _stack(stack)
    parts += _policy(report)
    if report.timings:
        t = report.timings
        parts.append(
            f"<sub>Evaluated: base {t['base']:.1f}s (in-process), working tree "
            f"{t['working_tree']:.1f}s; total {t['total']:.1f}s.</sub>\n"
        )
    return "\n".join(parts)


def _dangers(report: DiffReport) -> list[str]:
    if not report.dangers:
        return []
    lines = ["> [!CAUTION]", f"> **{words.danger_headline(report)}**", ">"]
    lines += [f"> - **{stack}**: {words.danger_text(c)}" for stack, c in report.dangers]
    return [*lines, ""]


def _errors(report: DiffReport) -> list[str]:
    lines: list[str] = []
    for stack, error in report.errors:
        lines += [
            "> [!CAUTION]",
            f"> **{words.error_headline(report, stack, error)}**:",
            ">",
            "> ```text",
            *[f"> {line}" for line in error.message.splitlines()],
            "> ```",
            "",
        ]
    return lines


def _stack(stack: StackDiff) -> list[str]:
    lines = [
        f"#### {stack.stack}: {words.stack_summary(stack)}\n",
        "| | Resource | Type | Change | Properties |",
        "|---|---|---|---|---|",
    ]
    lines += [_row(c) for c in stack.changes]
    lines.append("")
    lines += [f"- {_code(c.worker)} {_code(c.text())}" for c in (*stack.code, *stack.rollout)]
    if stack.code or stack.rollout:
        lines.append("")
    for change in stack.changes:
        lines += _details(change)
    if stack.outputs:
        lines += _block("Stack outputs", [_diff_lines(p) for p in stack.outputs])
    graph, changed = mermaid_graph(stack.base, stack.head)
    if graph.count("\n") > 0:
        open_ = " open" if changed else ""
        title = "Workers and bindings" + (" (bindings changed)" if changed else "")
        lines += [
            f"<details{open_}><summary>{title}</summary>\n",
            "```mermaid",
            graph,
            "```",
            "",
            LEGEND,
            "</details>\n",
        ]
    return lines


def _row(c: ResourceChange) -> str:
    mark = words.OP_MARK[c.op]
    change = f"**{words.op_label(c)}**" if c.op in ("replace", "remove") else words.op_label(c)
    if c.dangerous:
        change += " ⚠️ data-loss risk"
    paths = [] if c.op in ("add", "remove") else [p.path for p in c.properties]
    paths += [o.option for o in c.options]
    shown = ", ".join(_code(p) for p in paths[:MAX_PATHS_IN_TABLE])
    if len(paths) > MAX_PATHS_IN_TABLE:
        shown += f" +{len(paths) - MAX_PATHS_IN_TABLE} more"
    cells = [mark, _code(c.name), words.short_type(c.type), change, shown or "—"]
    return "| " + " | ".join(_cell(x) for x in cells) + " |"


def _details(c: ResourceChange) -> list[str]:
    body = []
    if c.old_urn:
        body.append([f"! moved from {c.old_urn}"])
    for o in c.options:
        body.append([f"- {o.option}: {words.value(o.old)}", f"+ {o.option}: {words.value(o.new)}"])
    body += [_diff_lines(p) for p in c.properties]
    if not body:
        return []
    count = len(c.properties)
    title = f"{_html_code(c.name)} ({words.short_type(c.type)}): {words.op_label(c)}"
    if count:
        title += f", {count} propert{'y' if count == 1 else 'ies'}"
    return _block(title, body)


def _diff_lines(p: PropertyChange) -> list[str]:
    note = words.property_note(p)
    suffix = f"   # {note}" if note else ""
    if p.secret or p.masked:
        return [f"! {words.property_text(p)}{suffix}"]
    if p.kind == "add":
        return [f"+ {p.path}: {words.value(p.new)}{suffix}"]
    if p.kind == "remove":
        return [f"- {p.path}: {words.value(p.old)}{suffix}"]
    return [f"- {p.path}: {words.value(p.old)}", f"+ {p.path}: {words.value(p.new)}{suffix}"]


def _block(title: str, groups: list[list[str]]) -> list[str]:
    lines = [f"<details><summary>{title}</summary>\n", "```diff"]
    for group in groups:
        lines += [line.replace("```", "`\u200b``") for line in group]
    return [*lines, "```", "</details>\n"]


def _policy(report: DiffReport) -> list[str]:
    if not report.policy_available:
        return ["**Policy**: not run (`stacks/guards/rules.py` is not in this tree yet).\n"]
    violations = report.violations
    checked, not_checked = words.policy_checked(report), words.policy_not_checked(report)
    lines = []
    if violations:
        lines += [
            "> [!WARNING]",
            f"> **Policy: {len(violations)} violation(s)** in the working tree",
            ">",
            "> | Stack | Rule | Resource | Message |",
            "> |---|---|---|---|",
        ]
        lines += [
            f"> | {_cell(s)} | {_cell(_code(v.rule))} | {_cell(_code(v.urn))} "
            f"| {_cell(v.message)} |"
            for s, v in violations
        ]
        lines.append("")
    elif checked:
        lines.append(f"**Policy**: no violations ({', '.join(checked)}).\n")
    if not_checked:
        lines.append(f"**Policy**: not checked on {', '.join(not_checked)}.\n")
    return lines


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


def _html_code(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<code>{escaped}</code>"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
