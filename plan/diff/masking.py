"""Plain-text values the policy flags as secrets are hidden in the diff, not only flagged.

A worker binding of type `plain_text` named like a secret (`*_KEY`, `*_TOKEN`, `*_SECRET`,
`*PASSWORD*`; rule secret-binding-not-plain-text) holds its value in clear in the program and the
state. The policy names the binding; the diff must not print the value it flags, in any format
(text, the pull-request comment, JSON). A change of such a value still shows: that it changed.
"""

from __future__ import annotations

import re
from typing import Any

from plan.diff.model import ABSENT, MASKED, PropertyChange
from plan.manifest import Resource
from stacks.guards.resource_types import BINDING_HOLDERS
from stacks.guards.rules import looks_secret

PLAIN_TEXT = "plain_text"
_ITEM = re.compile(r"^bindings\[(?P<name>[^\]]+)\](?P<rest>.*)$")


def secret_like_bindings(resource: Resource | None) -> set[str]:
    """Names of the plain-text bindings of a worker version that are named like secrets."""
    if resource is None or resource.type not in BINDING_HOLDERS:
        return set()
    bindings = resource.inputs.get("bindings")
    if not isinstance(bindings, list):
        return set()  # a secret list: nothing of it is shown anyway
    return {
        b["name"]
        for b in bindings
        if isinstance(b, dict)
        and b.get("type") == PLAIN_TEXT
        and isinstance(b.get("name"), str)
        and looks_secret(b["name"])
    }


def mask(
    old: Resource | None, new: Resource | None, changes: list[PropertyChange]
) -> list[PropertyChange]:
    """`changes` with every flagged plain-text value hidden (either side flags it for both)."""
    names = secret_like_bindings(old) | secret_like_bindings(new)
    if not names:
        return changes
    for change in changes:
        if change.path == "bindings":
            change.old, change.new = _in_list(change.old, names), _in_list(change.new, names)
            continue
        match = _ITEM.match(change.path)
        if match is None or match["name"] not in names:
            continue
        if match["rest"] == "":
            change.old, change.new = _in_item(change.old), _in_item(change.new)
        elif match["rest"] == ".text":
            change.old, change.new = _hidden(change.old), _hidden(change.new)
            change.masked = True
    return changes


def _hidden(value: Any) -> Any:
    return value if value is ABSENT else MASKED


def _in_item(item: Any) -> Any:
    if isinstance(item, dict) and "text" in item:
        return {**item, "text": MASKED}
    return item


def _in_list(items: Any, names: set[str]) -> Any:
    if not isinstance(items, list):
        return items
    return [_in_item(b) if isinstance(b, dict) and b.get("name") in names else b for b in items]
