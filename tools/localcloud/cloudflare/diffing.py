"""Diff a resource's state against the program's new inputs, replacing per the upstream table."""

from __future__ import annotations

from typing import Any

from pulumi.provider.experimental.provider import DiffResponse, PropertyDiff, PropertyDiffKind

from tools.localcloud.cloudflare.props import is_unknown, without_nulls
from tools.localcloud.cloudflare.replace_on_change import (
    ALWAYS,
    IF_CONFIGURED,
    REPLACE_ON_CHANGE,
    Kind,
    Nested,
)
from tools.localcloud.cloudflare.resources.base import ResourceType, Values, canonical

_REPLACE_KINDS = {
    PropertyDiffKind.ADD_REPLACE,
    PropertyDiffKind.DELETE_REPLACE,
    PropertyDiffKind.UPDATE_REPLACE,
}


def replaces(kind: Kind | None, old: Any, new: Any) -> bool:
    """Whether a change from `old` to `new` replaces, for a property of this kind."""
    if kind is None:
        return False
    if kind == ALWAYS or is_unknown(new):
        return True
    if kind == IF_CONFIGURED:
        return new is not None
    if isinstance(kind, Nested):
        return _projection(old, kind.fields) != _projection(new, kind.fields)
    raise ValueError(f"unknown replace kind {kind!r}")


def _projection(value: Any, fields: tuple[str, ...]) -> list[str]:
    elements = value if isinstance(value, list) else []
    return sorted(
        canonical([e.get(f) if isinstance(e, dict) else e for f in fields]) for e in elements
    )


def _kind(old: Any, new: Any, replace: bool) -> PropertyDiffKind:
    if old is None:
        return PropertyDiffKind.ADD_REPLACE if replace else PropertyDiffKind.ADD
    if new is None:
        return PropertyDiffKind.DELETE_REPLACE if replace else PropertyDiffKind.DELETE
    return PropertyDiffKind.UPDATE_REPLACE if replace else PropertyDiffKind.UPDATE


def diff(
    resource: ResourceType, olds: Values, news: Values, ignore_changes: list[str]
) -> DiffResponse:
    rules = REPLACE_ON_CHANGE.get(resource.pulumi_type)
    kinds = rules.properties if rules else {}
    detailed: dict[str, PropertyDiff] = {}
    for prop in sorted(set(resource.inputs) | set(news)):
        if prop in ignore_changes:
            continue
        old, new = without_nulls(olds.get(prop)), without_nulls(news.get(prop))
        if new is None and prop in resource.computed_optional:
            continue
        if not is_unknown(new) and resource.same(prop, old, new):
            continue
        replace = replaces(kinds.get(prop), old, new)
        detailed[prop] = PropertyDiff(_kind(old, new, replace), input_diff=True)
    return DiffResponse(
        changes=bool(detailed),
        replaces=[p for p, d in detailed.items() if d.kind in _REPLACE_KINDS],
        diffs=list(detailed),
        detailed_diff=detailed,
    )
