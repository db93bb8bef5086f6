"""The working tree's policy rules, loaded lazily from the project being diffed."""

from __future__ import annotations

import sys

from plan.diff.policy import check, policy_rules
from tests.plan_diff.builders import base_platform

RULES = """
from dataclasses import dataclass

@dataclass
class Violation:
    rule: str
    urn: str
    message: str

def check_manifest(manifest):
    return [Violation("no-" + r.name, r.urn, "flagged") for r in manifest.resources if r.custom]
"""


def test_rules_of_the_project_run_and_the_callers_modules_come_back(tmp_path):
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "__init__.py").write_text("")
    (tmp_path / "policy" / "rules.py").write_text(RULES)
    before = sys.modules.get("policy")

    with policy_rules(tmp_path) as rules:
        violations = check(rules, base_platform())

    assert sorted({v.rule for v in violations}) == [
        "no-auth",
        "no-bookmarks-mail-worker",
        "no-mail-metadata",
        "no-mail-state",
    ]
    assert sys.modules.get("policy") is before
    assert str(tmp_path) not in sys.path


def test_a_tree_without_policy_rules_yields_none(tmp_path):
    with policy_rules(tmp_path) as rules:
        assert rules is None
