"""Traffic splits of a diff: each worker's versions and their shares, before and after.

Read from the stack outputs (`workers.<name>.versions`: role, key, percentage), so a gradual
rollout reads as `traffic: stable d02e251771 100% → stable d02e251771 90% / candidate
5e6f7a8b90 10%`. The key is the suffix of the version's resource name (`auth-version-<key>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plan.manifest import Manifest


@dataclass(frozen=True)
class Share:
    role: str
    key: str
    percentage: float

    def text(self) -> str:
        return f"{self.role} {self.key} {self.percentage:g}%"


@dataclass(frozen=True)
class RolloutChange:
    worker: str
    old: tuple[Share, ...]
    """Empty for a new worker (or a base from before versions)."""
    new: tuple[Share, ...]
    """Empty for a removed worker."""

    def text(self) -> str:
        return f"traffic: {_split(self.old)} → {_split(self.new)}"


def _split(shares: tuple[Share, ...]) -> str:
    return " / ".join(s.text() for s in shares) or "none"


def _splits(manifest: Manifest | None) -> dict[str, tuple[Share, ...]]:
    workers: Any = (manifest.outputs if manifest else {}).get("workers") or {}
    splits = {}
    for name, worker in workers.items():
        versions = worker.get("versions") if isinstance(worker, dict) else None
        splits[name] = tuple(
            Share(str(v.get("role")), str(v.get("key")), float(v.get("percentage", 0)))
            for v in versions or []
            if isinstance(v, dict)
        )
    return splits


def rollout_changes(base: Manifest | None, head: Manifest | None) -> list[RolloutChange]:
    """One change per worker whose versions or shares differ."""
    old, new = _splits(base), _splits(head)
    return [
        RolloutChange(name, old.get(name, ()), new.get(name, ()))
        for name in sorted(old.keys() | new.keys())
        if old.get(name, ()) != new.get(name, ())
    ]
