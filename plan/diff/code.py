"""Code changes of a diff: each worker's bundle pin (hash and source), before and after.

Read from the stack outputs (`workers.<name>.bundle`), which carry the pin as the stack file
declares it, so a new bundle reads as `code: 3f2a… → 9c1d…, release v1.4.2 → v1.5.0`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plan.manifest import Manifest
from stacks.loader import short_hash as short


@dataclass(frozen=True)
class CodeChange:
    worker: str
    """Logical name of the worker."""
    old: dict[str, str] | None
    """The base's pin (`sha256`, and `path` or `release` + `asset`); None for a new worker."""
    new: dict[str, str] | None
    """The working tree's pin; None for a removed worker."""

    def text(self) -> str:
        """`code: 3f2a… → 9c1d…, release v1.4.2 → v1.5.0` (or `code: new 3f2a… (path …)`)."""
        if self.old is None or self.new is None:
            pin = self.new or self.old or {}
            verb = "new" if self.old is None else "removed"
            return f"code: {verb} {short(pin.get('sha256', '?'))} ({_source(pin)})"
        parts = [f"code: {_hash(self.old)} → {_hash(self.new)}"]
        old_source, new_source = _source(self.old), _source(self.new)
        if self.old.get("release") and self.new.get("release"):
            if self.old["release"] != self.new["release"]:
                parts.append(f"release {self.old['release']} → {self.new['release']}")
            if self.old.get("asset") != self.new.get("asset"):
                parts.append(f"asset {self.old.get('asset')} → {self.new.get('asset')}")
        elif old_source != new_source:
            parts.append(f"{old_source} → {new_source}")
        else:
            parts.append(f"same {new_source}")
        return ", ".join(parts)


def _hash(pin: dict[str, str]) -> str:
    return short(pin["sha256"]) if pin.get("sha256") else "(not pinned)"


def _source(pin: dict[str, str]) -> str:
    if pin.get("release"):
        return f"release {pin['release']} ({pin.get('asset')})"
    if pin.get("path"):
        return f"path {pin['path']}"
    return "unpinned"


def _pins(manifest: Manifest | None) -> dict[str, dict[str, str]]:
    workers: Any = (manifest.outputs if manifest else {}).get("workers") or {}
    pins = {}
    for name, worker in workers.items():
        bundle = worker.get("bundle") if isinstance(worker, dict) else None
        pins[name] = bundle if isinstance(bundle, dict) else {}  # {}: a stack file before pins
        candidate = worker.get("candidateBundle") if isinstance(worker, dict) else None
        if isinstance(candidate, dict):
            pins[f"{name} (candidate)"] = candidate
    return pins


def code_changes(base: Manifest | None, head: Manifest | None) -> list[CodeChange]:
    """One change per worker whose pin differs (a worker of a base before pins reads as
    `(not pinned) → …`)."""
    old, new = _pins(base), _pins(head)
    return [
        CodeChange(name, old.get(name), new.get(name))
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]
