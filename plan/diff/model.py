"""What a diff found: per stack, the resources that change and how, the risks and the errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from plan.diff.code import CodeChange
from plan.diff.rollout import RolloutChange
from plan.manifest import Manifest

Op = Literal["add", "remove", "update", "replace", "move"]
Side = Literal["base", "working tree"]

OPS: tuple[Op, ...] = ("add", "remove", "update", "replace", "move")

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_ERROR = 2
EXIT_DANGER = 3


class Absent:
    """A property that does not exist on one side (distinct from a null value)."""

    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Any = Absent()

MASKED = "(hidden: plain text named like a secret)"
"""What the diff shows instead of a plain-text value that looks like a secret."""


@dataclass
class PropertyChange:
    path: str
    """Where, e.g. `bindings[MAIL_SERVICE].service` (list items with a `name` are keyed by it)."""
    old: Any = ABSENT
    new: Any = ABSENT
    secret: bool = False
    """A secret input changed: renderers say "secret changed" and never show old/new."""
    replaces: bool = False
    """The change forces replacement (plan.replace_rules)."""
    may_replace: bool = False
    """The new value is known only after apply and sits on a replace-on-change key."""
    cause: str | None = None
    """Why an unchanged input changes anyway, e.g. the resource it refers to is replaced."""
    masked: bool = False
    """A plain-text value the policy flags as a secret (a `plain_text` binding named like one):
    renderers never show it. Values that merely contain one have it replaced by MASKED."""

    @property
    def kind(self) -> Literal["add", "remove", "update"]:
        if self.old is ABSENT:
            return "add"
        if self.new is ABSENT:
            return "remove"
        return "update"


@dataclass
class OptionChange:
    option: str
    """protect, retain_on_delete, delete_before_replace or parent."""
    old: Any
    new: Any


@dataclass
class ResourceChange:
    op: Op
    urn: str
    """The URN in the working tree (in the base for a removal)."""
    type: str
    name: str
    custom: bool
    old_urn: str | None = None
    """Set when the resource moved or was renamed: its URN in the base, matched by an alias."""
    properties: list[PropertyChange] = field(default_factory=list)
    options: list[OptionChange] = field(default_factory=list)
    stateful: bool = False
    protect: bool = False
    """The base's protect (the state `pulumi up` starts from); the working tree's if added."""
    protect_after: bool = False
    """The working tree's protect (the new state's); the base's if removed."""
    retain_on_delete: bool = False
    """The base's retain_on_delete: a delete would keep the cloud resource, dropped from state."""

    @property
    def may_replace(self) -> bool:
        return self.op != "replace" and any(p.may_replace for p in self.properties)

    @property
    def refused(self) -> bool:
        """`pulumi up` refuses the delete this change needs, because of `protect`.

        A removal is refused when the resource is protected in the state. A replacement only
        when it is protected before and after: the engine takes protect from the new state
        first, so unprotecting and replacing in one update goes through (Pulumi's step
        generator: `if new.Protect && old.Protect` refuses, since pulumi/pulumi#8873)."""
        if self.op == "remove":
            return self.protect
        if self.op == "replace" or self.may_replace:
            return self.protect and self.protect_after
        return False

    @property
    def dangerous(self) -> bool:
        """Removing or replacing (possibly) a stateful resource: data-loss risk."""
        return self.stateful and (self.op in ("remove", "replace") or self.may_replace)


@dataclass(frozen=True)
class Violation:
    """A policy finding on the working tree (the shape of stacks.guards.rules.Violation)."""

    rule: str
    urn: str
    message: str


@dataclass(frozen=True)
class SideError:
    side: Side
    kind: Literal["config", "program", "missing"]
    message: str


@dataclass
class StackDiff:
    stack: str
    base: Manifest | None
    """None when the stack is missing or could not be evaluated on that side."""
    head: Manifest | None
    changes: list[ResourceChange] = field(default_factory=list)
    outputs: list[PropertyChange] = field(default_factory=list)
    code: list[CodeChange] = field(default_factory=list)
    """Workers whose bundle pin changed: the hash and where the bytes come from."""
    rollout: list[RolloutChange] = field(default_factory=list)
    """Workers whose versions or traffic split changed."""
    violations: list[Violation] = field(default_factory=list)
    errors: list[SideError] = field(default_factory=list)
    base_missing: bool = False
    head_missing: bool = False
    policy_checked: bool = False
    """The policy rules ran on this stack's working tree (not when it failed to evaluate or
    has no stack file there): only then does "no violations" mean anything."""

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OPS, 0)
        for change in self.changes:
            counts[change.op] += 1
        return counts

    @property
    def dangers(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.dangerous]


@dataclass
class DiffReport:
    base_ref: str
    base_commit: str
    stacks: list[StackDiff]
    allow_destroy: bool = False
    policy_available: bool = True
    """False while stacks/guards/rules.py does not exist: renderers say the rules did not run."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds: base, working_tree (both in this process, one after the other), total."""

    @property
    def dangers(self) -> list[tuple[str, ResourceChange]]:
        return [(s.stack, c) for s in self.stacks for c in s.dangers]

    @property
    def errors(self) -> list[tuple[str, SideError]]:
        return [(s.stack, e) for s in self.stacks for e in s.errors]

    @property
    def violations(self) -> list[tuple[str, Violation]]:
        return [(s.stack, v) for s in self.stacks for v in s.violations]

    @property
    def exit_code(self) -> int:
        if self.errors:
            return EXIT_ERROR
        if self.dangers and not self.allow_destroy:
            return EXIT_DANGER
        if self.violations:
            return EXIT_POLICY
        return EXIT_OK
