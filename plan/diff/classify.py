"""Classify every resource of a stack: added, removed, updated, replaced or moved (by alias)."""

from __future__ import annotations

from typing import Any

from plan.diff import masking
from plan.diff.aliases import alias_urns
from plan.diff.model import ABSENT, OptionChange, PropertyChange, ResourceChange
from plan.diff.properties import (
    diff_secret,
    diff_secret_leaves,
    diff_value,
    has_unknown,
    is_secret,
    leaves,
)
from plan.manifest import SECRET, UNKNOWN, Manifest, Resource
from plan.replace_rules import is_stateful, replace_if_configured_keys, replace_keys
from stacks.guards.resource_types import WORKER_VERSION

OPTIONS = ("protect", "retain_on_delete", "delete_before_replace", "parent")


def diff_manifests(
    base: Manifest | None, head: Manifest | None
) -> tuple[list[ResourceChange], list[PropertyChange]]:
    """Resource changes (sorted by type, name) and stack output changes from base to head."""
    pairs, added, removed = match_resources(base, head)
    changes = [c for b, h in pairs if (c := _compare(b, h)) is not None]
    changes += [_created(h) for h in added]
    changes += [_deleted(b) for b in removed]
    changes = _cascade_replacements(changes, pairs)
    changes.sort(key=lambda c: (c.type, c.name, c.urn))
    outputs = diff_value(base.outputs if base else {}, head.outputs if head else {}, "")
    return changes, outputs


def match_resources(
    base: Manifest | None, head: Manifest | None
) -> tuple[list[tuple[Resource, Resource]], list[Resource], list[Resource]]:
    """(base, head) pairs by URN or alias; head-only resources; base-only resources."""
    base_by = base.by_urn() if base else {}
    head_by = head.by_urn() if head else {}
    pairs = [(base_by[urn], head_by[urn]) for urn in sorted(head_by) if urn in base_by]
    unmatched = set(base_by) - set(head_by)
    aliases = alias_urns(head) if head else {}
    added = []
    for urn in sorted(set(head_by) - set(base_by)):
        old = next((a for a in sorted(aliases[urn]) if a in unmatched), None)
        if old is None:
            added.append(head_by[urn])
        else:
            unmatched.discard(old)
            pairs.append((base_by[old], head_by[urn]))
    removed = [base_by[urn] for urn in sorted(unmatched)]
    return _new_versions(pairs, added, removed)


def _new_versions(
    pairs: list[tuple[Resource, Resource]], added: list[Resource], removed: list[Resource]
) -> tuple[list[tuple[Resource, Resource]], list[Resource], list[Resource]]:
    """A worker whose one version gave way to one new version (named after what makes it, so a
    new name) reads as that version replaced, property by property; with a candidate added or
    dropped, versions are added or removed as they are."""
    by_parent: dict[str | None, tuple[list[Resource], list[Resource]]] = {}
    for resource in added:
        if resource.type == WORKER_VERSION:
            by_parent.setdefault(resource.parent, ([], []))[1].append(resource)
    for resource in removed:
        if resource.type == WORKER_VERSION and resource.parent in by_parent:
            by_parent[resource.parent][0].append(resource)
    for old, new in by_parent.values():
        if len(old) == 1 and len(new) == 1:
            pairs.append((old[0], new[0]))
            added.remove(new[0])
            removed.remove(old[0])
    return pairs, added, removed


def _compare(old: Resource, new: Resource) -> ResourceChange | None:
    properties = _mark_replacements(new.type, _property_changes(old, new))
    options = [
        OptionChange(o, getattr(old, o), getattr(new, o))
        for o in OPTIONS
        if getattr(old, o) != getattr(new, o)
    ]
    moved = old.urn != new.urn
    updated_options = [o for o in options if o.option != "parent" or not moved]  # a move says it
    if any(p.replaces for p in properties):
        op = "replace"
    elif properties or updated_options:
        op = "update"
    elif moved:
        op = "move"
    else:
        return None
    return ResourceChange(
        op=op,
        urn=new.urn,
        type=new.type,
        name=new.name,
        custom=new.custom,
        old_urn=old.urn if moved else None,
        properties=properties,
        options=options,
        stateful=is_stateful(old) or is_stateful(new),
        protect=old.protect,
        protect_after=new.protect,
        retain_on_delete=old.retain_on_delete,
    )


def _property_changes(old: Resource | None, new: Resource | None) -> list[PropertyChange]:
    old_inputs = old.inputs if old else {}
    new_inputs = new.inputs if new else {}
    changes: list[PropertyChange] = []
    # As the engine: an ignored input keeps its old value once the resource exists.
    ignored = set(new.ignore_changes) if old is not None and new is not None else set()
    for key in sorted((set(old_inputs) | set(new_inputs)) - ignored):
        before, after = old_inputs.get(key, ABSENT), new_inputs.get(key, ABSENT)
        if is_secret(old, key) or is_secret(new, key):
            changes += diff_secret(old, new, key)
        elif old is None or new is None:  # a whole resource: one change per input
            changes.append(PropertyChange(key, before, after))
        else:
            changes += diff_value(before, after, key)
    return masking.mask(old, new, changes + diff_secret_leaves(old, new))


def _mark_replacements(type_: str, changes: list[PropertyChange]) -> list[PropertyChange]:
    always, if_configured = replace_keys(type_), replace_if_configured_keys(type_)
    for change in changes:
        key = _root_key(change.path)
        if key in always:
            unknown = has_unknown(change.old) or has_unknown(change.new)
            change.may_replace, change.replaces = unknown, not unknown
        elif key in if_configured and _is_set(change.new):
            # RequiresReplaceIfConfigured: only a value the program sets replaces (one it stops
            # setting keeps the old value). Set for the first time, it is compared with the
            # value the provider computed, which the offline plan does not know.
            unknown = has_unknown(change.new) or not _is_set(change.old)
            change.may_replace, change.replaces = unknown, not unknown
            if not _is_set(change.old):
                change.cause = "replaces unless it equals the value the provider computed"
    return changes


def _is_set(value: Any) -> bool:
    return value is not ABSENT and value is not None


def _root_key(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def _created(new: Resource) -> ResourceChange:
    return ResourceChange(
        "add", new.urn, new.type, new.name, new.custom,
        properties=_property_changes(None, new),
        stateful=is_stateful(new),
        protect=new.protect,
        protect_after=new.protect,
        retain_on_delete=new.retain_on_delete,
    )  # fmt: skip


def _deleted(old: Resource) -> ResourceChange:
    return ResourceChange(
        "remove", old.urn, old.type, old.name, old.custom,
        properties=_property_changes(old, None),
        stateful=is_stateful(old),
        protect=old.protect,
        protect_after=old.protect,
        retain_on_delete=old.retain_on_delete,
    )  # fmt: skip


def _cascade_replacements(
    changes: list[ResourceChange], pairs: list[tuple[Resource, Resource]]
) -> list[ResourceChange]:
    """A replaced resource gets new ids: inputs that refer to its placeholders (`<name.id>`)
    become known only after apply, which may in turn replace the referring resource."""
    replaced = sorted({c.name for c in changes if c.op == "replace" and c.custom})
    if not replaced:
        return changes
    by_urn = {c.urn: c for c in changes}
    for old, new in pairs:
        change = by_urn.get(new.urn)
        if change is not None and change.op == "replace":
            continue
        extra = _placeholder_changes(old, new, replaced)
        if not extra:
            continue
        if change is None:  # unchanged until now
            change = ResourceChange(
                "update", new.urn, new.type, new.name, new.custom,
                stateful=is_stateful(old) or is_stateful(new),
                protect=old.protect, protect_after=new.protect,
                retain_on_delete=old.retain_on_delete,
            )  # fmt: skip
            changes.append(change)
        if change.op == "move":
            change.op = "update"
        change.properties += _mark_replacements(new.type, extra)
    return changes


def _placeholder_changes(old: Resource, new: Resource, replaced: list[str]) -> list[PropertyChange]:
    """Unchanged, non-secret inputs holding a placeholder of a replaced resource."""
    found = []
    for key in sorted(set(old.inputs) & set(new.inputs)):
        if is_secret(old, key) or is_secret(new, key) or old.inputs[key] != new.inputs[key]:
            continue  # a changed input is reported already; a secret cannot be looked into
        for path, leaf in leaves(new.inputs[key], key):
            target = _refers_to(leaf, replaced)
            if target:
                found.append(PropertyChange(path, leaf, UNKNOWN, cause=f"{target} is replaced"))
    return found


def _refers_to(value: Any, names: list[str]) -> str | None:
    if not isinstance(value, str) or value == SECRET:
        return None
    return next((n for n in names if f"<{n}." in value), None)
