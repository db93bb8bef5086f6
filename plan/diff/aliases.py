"""Which base URN a working-tree resource answers to through its aliases (renames and moves).

URNs are rebuilt with the rule that produced the manifest: the Pulumi engine's (the type is
qualified by the parent's whole type chain; resources directly under the stack are not) or the
SDK mock monitor's (only the parent's last type, the stack's included). A resource also inherits
its ancestors' aliases, as the engine does for children: a component moved under an alias takes
its children with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from plan.manifest import Manifest, Resource

_SPEC = re.compile(
    r"^alias\((?:name=(?P<name>[^,]*))?,?(?:type=(?P<type>[^,]*))?,?(?:parent=(?P<parent>.*))?\)$"
)
ROOT = "<root>"


STACK_TYPE = "pulumi:pulumi:Stack"
UrnRule = Callable[[str, str, str], str]


def engine_urn(parent: str, type_: str, name: str) -> str:
    """The Pulumi engine's URN of a resource under `parent`."""
    head = parent.split("::")
    stack_project, parent_chain = "::".join(head[:2]), head[2]
    qualified = type_ if parent_chain == STACK_TYPE else f"{parent_chain}${type_}"
    return f"{stack_project}::{qualified}::{name}"


def mock_urn(parent: str, type_: str, name: str) -> str:
    """pulumi.runtime.mocks.MockMonitor.make_urn."""
    head = parent.split("::")
    return f"{'::'.join(head[:2])}::{head[2].split('$')[-1]}${type_}::{name}"


def urn_rule(manifest: Manifest) -> UrnRule:
    """The rule that reproduces every URN of `manifest` from its parent (default: the engine's)."""
    parented = [r for r in manifest.resources if r.parent]
    for rule in (engine_urn, mock_urn):
        if all(rule(r.parent, r.type, r.name) == r.urn for r in parented):
            return rule
    return engine_urn


def stack_urn(manifest: Manifest) -> str:
    project, stack = manifest.project, manifest.stack
    return f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"


def urn_name(urn: str) -> str:
    return urn.split("::", 3)[3]


def alias_urns(manifest: Manifest) -> dict[str, set[str]]:
    """URN -> every other URN the resource may have had: its aliases and inherited ones."""
    by_urn = manifest.by_urn()
    root = stack_urn(manifest)
    make_urn = urn_rule(manifest)
    memo: dict[str, set[str]] = {}

    def resolve(resource: Resource) -> set[str]:
        if resource.urn in memo:
            return memo[resource.urn]
        memo[resource.urn] = set()  # a cycle cannot happen, but must not recurse forever
        found = {_resolve(alias, resource, root, make_urn) for alias in resource.aliases}
        parent = by_urn.get(resource.parent or "")
        if parent is not None:
            for parent_alias in resolve(parent):
                name = resource.name
                if name.startswith(parent.name):
                    name = urn_name(parent_alias) + name[len(parent.name) :]
                found.add(make_urn(parent_alias, resource.type, name))
        found.discard(resource.urn)
        memo[resource.urn] = found
        return found

    return {r.urn: resolve(r) for r in manifest.resources}


def _resolve(alias: str, resource: Resource, root: str, make_urn: UrnRule) -> str:
    match = _SPEC.match(alias)
    if match is None:
        return alias  # a full URN
    parent = match["parent"] or resource.parent or root
    if parent == ROOT:
        parent = root
    return make_urn(parent, match["type"] or resource.type, match["name"] or resource.name)
