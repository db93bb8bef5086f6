"""Does the offline plan tell the truth? Compare its manifest with what the real engine recorded.

The offline plan (`python -m plan show STACK --json`) runs the program under the SDK's mock
engine; `pulumi stack export` holds what the real engine registered. They must agree on every
resource's URN, type, parent, protect flag and inputs. Where the plan can only stand in for a
value (a provider-computed id `<name.attr>`, a hash known after apply, a secret), any real value
of the same place agrees, but the place itself must exist on both sides.
"""

from __future__ import annotations

import re
from typing import Any

SECRET_SIG = "4dabf18193072939515e22adb298388d"  # noqa: S105 - a marker, not a secret
"""The key the engine marks a secret value with in exported state."""
ENGINE_ONLY_TYPES = re.compile(r"^pulumi:(pulumi:Stack|providers:.*)$")
ENGINE_ONLY_INPUTS = {"__provider", "__defaults"}
PLACEHOLDER = re.compile(r"<[^<>]+>|\(known after apply\)")
PLAN_SECRET = "[secret]"  # noqa: S105 - how the plan prints one
PROVIDER_COMPUTED_INPUTS = {
    "cloudflare:index/workerVersion:WorkerVersion": ("modules", "contentSha256"),
}
"""(list input, item field) the provider's check fills in: the module hash it reads from the
file (the program does not set it; the version's name carries the pinned hash)."""


def differences(plan: dict[str, Any], state: dict[str, Any]) -> list[str]:
    """Every disagreement, each naming the resource and the property."""
    planned = {r["urn"]: r for r in plan["resources"]}
    recorded = {
        r["urn"]: r for r in state.get("resources") or [] if not ENGINE_ONLY_TYPES.match(r["type"])
    }
    found = [f"{urn}: in the offline plan only" for urn in sorted(planned.keys() - recorded)]
    found += [f"{urn}: registered by the engine only" for urn in sorted(recorded.keys() - planned)]
    for urn in sorted(planned.keys() & recorded.keys()):
        found += _resource(urn, planned[urn], recorded[urn])
    return found


def _resource(urn: str, plan: dict, engine: dict) -> list[str]:
    found = []
    if plan["type"] != engine["type"]:
        found.append(f"{urn}: type {plan['type']} in the plan, {engine['type']} in the engine")
    if plan["parent"] != engine.get("parent"):
        found.append(
            f"{urn}: parent {plan['parent']} in the plan, {engine.get('parent')} in the engine"
        )
    if bool(plan["protect"]) != bool(engine.get("protect")):
        found.append(
            f"{urn}: protect {plan['protect']} in the plan, {engine.get('protect')} in the engine"
        )
    inputs = {k: v for k, v in (engine.get("inputs") or {}).items() if k not in ENGINE_ONLY_INPUTS}
    inputs = _without_computed(plan["type"], inputs)
    planned = dict(plan["inputs"])
    # Kept at the value it had when created (ignore_changes): present on both sides, any value.
    for key in plan.get("ignore_changes") or []:
        if key in planned and key in inputs:
            planned[key] = inputs[key]
    found += [f"{urn}: {d}" for d in _value("inputs", planned, inputs)]
    return found


def _without_computed(type_: str, inputs: dict[str, Any]) -> dict[str, Any]:
    if type_ not in PROVIDER_COMPUTED_INPUTS:
        return inputs
    key, field = PROVIDER_COMPUTED_INPUTS[type_]
    items = inputs.get(key)
    if not isinstance(items, list):
        return inputs
    stripped = [
        {k: v for k, v in i.items() if k != field} if isinstance(i, dict) else i for i in items
    ]
    return {**inputs, key: stripped}


def _value(path: str, plan: Any, engine: Any) -> list[str]:
    if isinstance(engine, dict) and SECRET_SIG in engine:
        return (
            [] if plan == PLAN_SECRET else [f"{path}: secret in the engine, {plan!r} in the plan"]
        )
    if plan == PLAN_SECRET:
        return [f"{path}: secret in the plan, not in the engine"]
    if isinstance(plan, str) and PLACEHOLDER.search(plan):
        pattern = "".join(
            ".+" if PLACEHOLDER.fullmatch(part) else re.escape(part)
            for part in re.split(f"({PLACEHOLDER.pattern})", plan)
            if part
        )
        if isinstance(engine, str) and re.fullmatch(pattern, engine, re.S):
            return []
        return [f"{path}: {plan!r} in the plan, {engine!r} in the engine"]
    if isinstance(plan, dict) and isinstance(engine, dict):
        found = [f"{path}.{k}: in the plan only" for k in sorted(plan.keys() - engine.keys())]
        found += [f"{path}.{k}: in the engine only" for k in sorted(engine.keys() - plan.keys())]
        for key in sorted(plan.keys() & engine.keys()):
            found += _value(f"{path}.{key}", plan[key], engine[key])
        return found
    if isinstance(plan, list) and isinstance(engine, list):
        if len(plan) != len(engine):
            return [f"{path}: {len(plan)} items in the plan, {len(engine)} in the engine"]
        return [
            d
            for i, (p, e) in enumerate(zip(plan, engine, strict=True))
            for d in _value(f"{path}[{i}]", p, e)
        ]
    if plan != engine:
        return [f"{path}: {plan!r} in the plan, {engine!r} in the engine"]
    return []
