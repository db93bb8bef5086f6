"""The plan diff as JSON, for machines. Stable schema; `schema_version` changes only when a
field is removed or changes meaning (new fields may be added without a bump).

Schema (version 1)::

    {
      "schema": "edge-platform/plan-diff",
      "schema_version": 1,
      "base": {"ref": str, "commit": str},          # the git ref as given, and its full commit id
      "allow_destroy": bool,
      "exit_code": int,                              # 0 ok, 1 policy, 2 error, 3 data-loss risk
      "summary": {"add": int, "remove": int, "update": int, "replace": int, "move": int,
                  "dangerous": int, "violations": int, "errors": int},
      "dangers": [{"stack", "urn", "type", "name", "op", "protect", "protect_after",
                   "retain_on_delete", "refused"}],       # refused: `pulumi up` refuses (protect)
      "policy": {"available": bool,                  # false while stacks/guards/rules.py is missing
                 "checked": [str],                   # stacks the rules ran on
                 "not_checked": [str]},              # stacks they did not (not evaluated)
      "stacks": [{
        "stack": str,
        "base": "present" | "missing" | "error",
        "working_tree": "present" | "missing" | "error",
        "errors": [{"side": "base" | "working tree", "kind": "config" | "program" | "missing",
                    "message": str}],
        "summary": {"add", "remove", "update", "replace", "move": int},
        "resources": [{
          "op": "add" | "remove" | "update" | "replace" | "move",
          "urn": str,                                # working tree URN (base URN for "remove")
          "old_urn": str | null,                     # base URN when moved/renamed via an alias
          "type": str, "name": str, "custom": bool,
          "stateful": bool, "dangerous": bool, "may_replace": bool,
          "protect": bool, "retain_on_delete": bool, # the base's options (working tree's if added)
          "protect_after": bool,                     # the working tree's (base's if removed)
          "refused": bool,                           # protect makes `pulumi up` refuse the delete
          "properties": [PROPERTY],
          "options": [{"option": "protect" | "retain_on_delete" | "delete_before_replace"
                                 | "parent", "old": any, "new": any}]
        }],
        "outputs": [PROPERTY],                       # stack output changes
        "code": [{"worker": str, "old": PIN | null, "new": PIN | null, "text": str}],
                                                     # PIN: {"sha256", "path" | "release"+"asset"}
        "violations": [{"rule": str, "urn": str, "message": str}],
        "policy_checked": bool                       # the rules ran on its working tree
      }],
      "timings_seconds": {"base": float, "working_tree": float, "total": float}
    }

    PROPERTY = {"path": str,                         # e.g. "bindings[MAIL_SERVICE].service"
                "kind": "add" | "remove" | "update",
                "old": any, "new": any,              # null when absent; null for secrets
                "secret": bool,                      # true: only "secret changed" is known
                "replaces": bool, "may_replace": bool,
                "cause": str | null,
                "masked": bool}                      # true: a plain-text value named like a
                                                     # secret; old/new read MASKED, never it

Values are as the manifest records them: "(known after apply)" for unknowns, "<name.id>" for ids
the mock engine cannot know. Secrets never appear, not even as ciphertext or digest; nor does the
value of a plain-text binding named like a secret (it reads "(hidden: plain text named like a
secret)", plan.diff.model.MASKED).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from plan.diff.model import ABSENT, OPS, DiffReport, PropertyChange, ResourceChange, StackDiff

SCHEMA = "edge-platform/plan-diff"
SCHEMA_VERSION = 1


def render_json(report: DiffReport) -> str:
    return json.dumps(report_to_json(report), indent=2, sort_keys=True) + "\n"


def report_to_json(report: DiffReport) -> dict[str, Any]:
    totals = dict.fromkeys(OPS, 0)
    for stack in report.stacks:
        for op, count in stack.counts().items():
            totals[op] += count
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "base": {"ref": report.base_ref, "commit": report.base_commit},
        "allow_destroy": report.allow_destroy,
        "exit_code": report.exit_code,
        "summary": {
            **totals,
            "dangerous": len(report.dangers),
            "violations": len(report.violations),
            "errors": len(report.errors),
        },
        "dangers": [
            {
                "stack": stack,
                "urn": c.urn,
                "type": c.type,
                "name": c.name,
                "op": c.op,
                "protect": c.protect,
                "protect_after": c.protect_after,
                "retain_on_delete": c.retain_on_delete,
                "refused": c.refused,
            }
            for stack, c in report.dangers
        ],
        "policy": {
            "available": report.policy_available,
            "checked": [s.stack for s in report.stacks if s.policy_checked],
            "not_checked": [s.stack for s in report.stacks if not s.policy_checked],
        },
        "stacks": [_stack(s) for s in report.stacks],
        "timings_seconds": dict(report.timings),
    }


def _status(missing: bool, manifest: object) -> str:
    return "missing" if missing else ("present" if manifest is not None else "error")


def _stack(stack: StackDiff) -> dict[str, Any]:
    return {
        "stack": stack.stack,
        "base": _status(stack.base_missing, stack.base),
        "working_tree": _status(stack.head_missing, stack.head),
        "errors": [{"side": e.side, "kind": e.kind, "message": e.message} for e in stack.errors],
        "summary": stack.counts(),
        "resources": [_resource(c) for c in stack.changes],
        "outputs": [_property(p) for p in stack.outputs],
        "code": [
            {"worker": c.worker, "old": c.old, "new": c.new, "text": c.text()} for c in stack.code
        ],
        "rollout": [
            {
                "worker": r.worker,
                "old": [asdict(s) for s in r.old],
                "new": [asdict(s) for s in r.new],
                "text": r.text(),
            }
            for r in stack.rollout
        ],
        "violations": [asdict(v) for v in stack.violations],
        "policy_checked": stack.policy_checked,
    }


def _resource(c: ResourceChange) -> dict[str, Any]:
    return {
        "op": c.op,
        "urn": c.urn,
        "old_urn": c.old_urn,
        "type": c.type,
        "name": c.name,
        "custom": c.custom,
        "stateful": c.stateful,
        "dangerous": c.dangerous,
        "may_replace": c.may_replace,
        "protect": c.protect,
        "protect_after": c.protect_after,
        "retain_on_delete": c.retain_on_delete,
        "refused": c.refused,
        "properties": [_property(p) for p in c.properties],
        "options": [{"option": o.option, "old": o.old, "new": o.new} for o in c.options],
    }


def _property(p: PropertyChange) -> dict[str, Any]:
    def shown(v: Any) -> Any:
        return None if v is ABSENT or p.secret else v

    return {
        "path": p.path,
        "kind": p.kind,
        "old": shown(p.old),
        "new": shown(p.new),
        "secret": p.secret,
        "replaces": p.replaces,
        "may_replace": p.may_replace,
        "cause": p.cause,
        "masked": p.masked,
    }
