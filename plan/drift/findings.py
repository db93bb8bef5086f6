"""What a drift run found, and how it ends: findings grouped by check, exit codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXIT_CLEAN = 0
"""Every check ran and found nothing."""
EXIT_DRIFT = 1
"""Every check that ran found something to fix (see the findings)."""
EXIT_USAGE = 2
"""The stack config or the command line is wrong: nothing was checked."""
EXIT_UNAVAILABLE = 4
"""A check could not run: Postmark or Route 53 unreachable, credentials missing or refused, an
API error. Findings of the checks that ran before it are still reported."""


class CheckUnavailable(Exception):
    """A check could not run (exit 4); the message is one line saying what to do."""


class UsageError(Exception):
    """The config or the command line is wrong (exit 2)."""


@dataclass(frozen=True)
class Finding:
    """One thing that differs from what the stacks declare."""

    kind: str
    """Stable identifier, e.g. `orphan-server`, `duplicate-webhooks`, `dkim-record`."""
    subject: str
    """What it is about: a server or domain name, a DNS record name."""
    problem: str
    """What is wrong, in one line."""
    what_to_do: str
    ids: tuple[str, ...] = ()
    """Postmark ids involved (servers, webhooks, domains)."""
    id_label: str = "id"
    expected: str | None = None
    actual: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "problem": self.problem,
            "ids": list(self.ids),
            "expected": self.expected,
            "actual": self.actual,
            "what_to_do": self.what_to_do,
        }


@dataclass
class Check:
    """One check of the run: what it looked at, and what it found."""

    name: str
    """Stable identifier, e.g. `postmark-servers`, `dns`."""
    title: str
    """What was checked, in words."""
    clean: str
    """The line shown when nothing was found."""
    findings: list[Finding] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    """Context lines shown before the findings (what was declared, what was counted)."""


@dataclass
class Report:
    stack: str
    notes: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    error: str | None = None
    error_exit: int = EXIT_UNAVAILABLE

    @property
    def findings(self) -> list[Finding]:
        return [f for check in self.checks for f in check.findings]

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return self.error_exit
        return EXIT_DRIFT if self.findings else EXIT_CLEAN

    def to_json(self) -> dict[str, Any]:
        result = "error" if self.error is not None else "drift" if self.findings else "clean"
        return {
            "stack": self.stack,
            "result": result,
            "exit_code": self.exit_code,
            "notes": self.notes,
            "checks": [
                {
                    "name": c.name,
                    "title": c.title,
                    "findings": [f.to_json() for f in c.findings],
                }
                for c in self.checks
            ],
            "error": self.error,
        }
