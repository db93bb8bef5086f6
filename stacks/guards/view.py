"""The neutral view of a resource that every rule reads, whoever runs the rules.

Two producers fill it: `plan.checks.views_from_manifest` (the offline plan's manifest, for
`python -m plan`) and `policy.crossguard` (pulumi_policy's arguments, under
`pulumi preview/up --policy-pack`). Both give props as camelCase wire names and turn values
that are not known yet into `UNKNOWN`, which rules skip rather than guess about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Environment = Literal["staging", "prod"]
ENVIRONMENTS: tuple[Environment, ...] = ("staging", "prod")


class _Unknown:
    """A value known only after apply (preview of a new resource, an output of another one)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def is_known(value: Any) -> bool:
    return value is not UNKNOWN


@dataclass(frozen=True)
class ResourceView:
    """One resource as the rules see it."""

    type: str
    """Type token, e.g. `cloudflare:index/queue:Queue`."""
    name: str
    """Logical name (the last part of the URN)."""
    urn: str
    props: Mapping[str, Any] = field(default_factory=dict)
    """camelCase wire names; unknown values are `UNKNOWN`. Offline, secrets read "[secret]";
    under CrossGuard they are plaintext, so no rule may put a prop value in a message unless the
    prop can never be secret."""
    protect: bool = False
    parent: str | None = None
    """URN of the parent resource, if any."""
    stack: str = ""

    @property
    def environment(self) -> Environment | None:
        return environment_of(self.stack)

    @property
    def type_chain(self) -> list[str]:
        """Types from the outermost ancestor to this resource, read from the URN."""
        return type_chain_of_urn(self.urn)

    def get(self, key: str, default: Any = None) -> Any:
        return self.props.get(key, default)


def environment_of(stack: str) -> Environment | None:
    """The environment a stack deploys: its name, for the stacks `staging` and `prod`."""
    name = stack.rsplit("/", 1)[-1]
    return name if name in ENVIRONMENTS else None  # type: ignore[return-value]


def _urn_parts(urn: str) -> list[str]:
    # urn:pulumi:<stack>::<project>::<parent-type>$...$<type>::<name>
    return urn.split("::", 3)


def stack_of_urn(urn: str) -> str:
    head = _urn_parts(urn)[0]
    return head.split(":", 2)[2] if head.count(":") >= 2 else ""


def type_chain_of_urn(urn: str) -> list[str]:
    parts = _urn_parts(urn)
    return parts[2].split("$") if len(parts) >= 3 else []


def name_of_urn(urn: str) -> str:
    parts = _urn_parts(urn)
    return parts[3] if len(parts) == 4 else urn
