"""Property-level differences between two values of the same input, as paths.

Lists whose items are all mappings with a unique string `name` (Worker bindings, for one) are
matched by name, so reordering them is not a change and a change reads `bindings[NAME].field`.
Other lists are compared whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from plan.diff.model import ABSENT, PropertyChange
from plan.manifest import SECRET, UNKNOWN, Resource

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def join(path: str, key: str) -> str:
    part = key if _PLAIN_KEY.match(key) else f"[{key!r}]"
    if not path:
        return part
    return f"{path}{part}" if part.startswith("[") else f"{path}.{part}"


def diff_value(old: Any, new: Any, path: str) -> list[PropertyChange]:
    """Every leaf-most difference between `old` and `new` (either may be ABSENT)."""
    if old == new and type(old) is type(new):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[PropertyChange] = []
        for key in sorted(set(old) | set(new)):
            changes += diff_value(old.get(key, ABSENT), new.get(key, ABSENT), join(path, key))
        return changes
    if _named_list(old) and _named_list(new) and (old or new):
        old_by, new_by = _by_name(old), _by_name(new)
        changes = []
        for name in sorted(set(old_by) | set(new_by)):
            item_path = f"{path}[{name}]"
            changes += diff_value(old_by.get(name, ABSENT), new_by.get(name, ABSENT), item_path)
        return changes
    return [PropertyChange(path, old, new)]


def diff_secret(old: Resource | None, new: Resource | None, key: str) -> list[PropertyChange]:
    """A secret input compares by digest only; the change never carries a value."""
    before, after = _fingerprint(old, key), _fingerprint(new, key)
    if before == after:
        return []
    return [
        PropertyChange(
            key,
            old=ABSENT if before is ABSENT else SECRET,
            new=ABSENT if after is ABSENT else SECRET,
            secret=True,
        )
    ]


def diff_secret_leaves(old: Resource | None, new: Resource | None) -> list[PropertyChange]:
    """Secret fields inside an otherwise visible input (e.g. `bindings[SIGNING_KEY].text`):
    compared by digest; reported only where the field exists on both sides (an added or removed
    item is reported by the item itself)."""
    if old is None or new is None:
        return []
    paths = {p for p in old.secret_digests if p in new.secret_digests and p not in old.inputs}
    return [
        PropertyChange(path, old=SECRET, new=SECRET, secret=True)
        for path in sorted(paths)
        if old.secret_digests[path] != new.secret_digests[path]
    ]


def is_secret(resource: Resource | None, key: str) -> bool:
    return resource is not None and key in resource.secret_inputs


def has_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, leaf) for every scalar inside `value`, with the same path scheme as diff_value."""
    if isinstance(value, dict):
        for key in sorted(value):
            yield from leaves(value[key], join(path, key))
    elif isinstance(value, list) and _named_list(value) and value:
        for name, item in sorted(_by_name(value).items()):
            yield from leaves(item, f"{path}[{name}]")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _fingerprint(resource: Resource | None, key: str) -> Any:
    if resource is None or key not in resource.inputs:
        return ABSENT
    if key in resource.secret_inputs:
        return ("secret", resource.secret_digests.get(key))
    return ("plain", resource.inputs[key])


def _named_list(value: Any) -> bool:
    if not isinstance(value, list):
        return False
    names = [item.get("name") if isinstance(item, dict) else None for item in value]
    return all(isinstance(n, str) for n in names) and len(set(names)) == len(names)


def _by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}
