"""The working tree's guard rails, loaded lazily from the project being diffed."""

from __future__ import annotations

import sys

from plan.diff.policy import check, policy_rules
from tests.plan_diff.builders import base_platform

# A project whose stacks/guards flags every custom resource: `plan diff` must run these rules,
# the diffed tree's, and not the ones of the tree the plan tool comes from.
GUARDS = {
    "view.py": """
from dataclasses import dataclass, field
UNKNOWN = object()

@dataclass
class ResourceView:
    type: str
    name: str
    urn: str
    props: dict = field(default_factory=dict)
    protect: bool = False
    parent: str | None = None
    stack: str = ""
""",
    "config.py": """
PLATFORM_KEY = "platform"

class PolicyConfig:
    def __init__(self, source=""):
        self.source = source

    @classmethod
    def from_platform(cls, platform, *, source):
        return cls(source)
""",
    "rules.py": """
from dataclasses import dataclass

@dataclass
class Violation:
    rule: str
    urn: str
    message: str

def check_views(views, config):
    return [Violation("no-" + v.name, v.urn, config.source) for v in views if v.type != "edge"]
""",
}


def write_guards(root):
    guards = root / "stacks" / "guards"
    guards.mkdir(parents=True)
    (root / "stacks" / "__init__.py").write_text("")
    (guards / "__init__.py").write_text("")
    for name, source in GUARDS.items():
        (guards / name).write_text(source)


def test_rules_of_the_project_run_and_the_callers_modules_come_back(tmp_path):
    write_guards(tmp_path)
    before = sys.modules.get("stacks.guards.rules")

    with policy_rules(tmp_path) as rules:
        violations = check(rules, base_platform())

    assert {v.rule for v in violations} >= {"no-auth", "no-mail-metadata", "no-mail-state"}
    assert {v.message for v in violations} == {f"no Pulumi.prod.yaml in {tmp_path}"}
    assert sys.modules.get("stacks.guards.rules") is before
    assert str(tmp_path) not in sys.path


def test_a_tree_without_guard_rules_yields_none(tmp_path):
    with policy_rules(tmp_path) as rules:
        assert rules is None
