"""A drift report as text (the terminal), Markdown (the GitHub job summary) or JSON (`--json`)."""

from __future__ import annotations

import json

from plan.drift.findings import Check, Finding, Report

_LONG = 100  # DKIM keys are ~400 characters: shortened in text, whole in JSON


def text(report: Report) -> str:
    lines = list(report.notes)
    for check in report.checks:
        lines.append(f"{check.title}:")
        lines += [f"  {line}" for line in check.details]
        if not check.findings:
            lines.append(f"  {check.clean}")
            continue
        lines.append(f"  {len(check.findings)} finding(s):")
        for finding in check.findings:
            lines.append(f"  - {_headline(finding)}")
            if finding.expected is not None:
                lines.append(f"      expected: {_short(finding.expected)}")
            if finding.expected is not None or finding.actual is not None:
                lines.append(f"      live:     {_short(finding.actual or '(none)')}")
        lines += [f"  What to do: {todo}" for todo in _what_to_do(check)]
    if report.error is None:
        total = len(report.findings)
        lines.append(f"Drift found: {total} finding(s)." if total else "No drift.")
    return "\n".join(lines) + "\n"


def markdown(report: Report) -> str:
    if report.error is not None:
        done = f"{len(report.findings)} finding(s) before it. " if report.findings else ""
        head = f"**Error** (exit {report.exit_code}): {done}\n\n```text\n{report.error}\n```\n"
    else:
        head = "No drift.\n" if not report.findings else ""
    rows = [
        f"| {f.kind} | `{_cell(f.subject)}` | {_cell(', '.join(f.ids))} | {_cell(f.problem)} |"
        for f in report.findings
    ]
    if not rows:
        return head + "".join(f"\n{note}\n" for note in report.notes if report.error is None)
    table = ["| finding | subject | ids | problem |", "| --- | --- | --- | --- |", *rows]
    todos = dict.fromkeys(t for check in report.checks for t in _what_to_do(check))
    return head + "\n" + "\n".join(table) + "\n\n" + "\n".join(f"- {t}" for t in todos) + "\n"


def as_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n"


def _headline(finding: Finding) -> str:
    ids = f" ({finding.id_label} {', '.join(finding.ids)})" if finding.ids else ""
    return f"{finding.subject}{ids}: {finding.problem}"


def _what_to_do(check: Check) -> list[str]:
    return list(dict.fromkeys(f.what_to_do for f in check.findings))


def _short(value: str) -> str:
    return value if len(value) <= _LONG else f"{value[:60]}...{value[-20:]} ({len(value)} chars)"


def _cell(value: str) -> str:
    """Text safe inside a Markdown table cell (a name may hold any character)."""
    return value.replace("|", "\\|").replace("\n", " ")
