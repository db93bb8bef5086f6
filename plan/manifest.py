"""The manifest: a stable, sorted, secret-free record of every resource a stack declares."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

SECRET = "[secret]"  # noqa: S105 (the marker that replaces secret values)
UNKNOWN = "(known after apply)"


@dataclass
class Resource:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    """Inputs with every secret replaced by "[secret]" and unknowns by "(known after apply)"."""
    secret_inputs: list[str] = field(default_factory=list)
    """Top-level inputs that are (or contain) secrets."""
    secret_digests: dict[str, str] = field(default_factory=dict)
    """Per secret input, a short digest of the stand-in value, to tell "secret changed" only."""
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    dependencies: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    ignore_changes: list[str] = field(default_factory=list)
    """Inputs the engine keeps at their old value once created (`ignore_changes`)."""


@dataclass
class Manifest:
    project: str
    stack: str
    resources: list[Resource]
    outputs: dict[str, Any] = field(default_factory=dict)

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [asdict(r) for r in sorted(self.resources, key=lambda r: r.urn)],
            "outputs": self.outputs,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            project=data["project"],
            stack=data["stack"],
            resources=[Resource(**r) for r in data["resources"]],
            outputs=data.get("outputs", {}),
        )


def digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
