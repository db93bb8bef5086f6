"""A Mermaid graph of the workers and what their bindings point at, changed edges highlighted.

Edges come from the `bindings` of each worker's versions (service, KV, D1, queue, secret,
dispatch namespace); plain and secret text bindings are values, not edges. During a gradual
rollout an edge carries the share of the traffic its versions get (`MAIL_SERVICE 10%`). Ids the
mock engine cannot know (`<name.id>`) are resolved to the resource they name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plan.manifest import Manifest, Resource
from stacks.guards.resource_types import (
    BINDING_HOLDERS,
    WORKER,
    WORKERS_DEPLOYMENT,
    WORKERS_SCRIPT,
)

_PLACEHOLDER = re.compile(r"^<(?P<name>[^.>]+)\.[^>]+>$")

# binding type -> (node kind, the field naming the target)
TARGET_FIELDS = {
    "service": ("worker", "service"),
    "kv_namespace": ("kv", "namespaceId"),
    "d1": ("d1", "id"),
    "queue": ("queue", "queueName"),
    "secrets_store_secret": ("secret", "secretName"),
    "dispatch_namespace": ("dispatch", "namespace"),
}
# The resource field that names a KV / D1 target whose binding holds only its id.
NAME_FIELDS = {
    "kv": ("cloudflare:index/workersKvNamespace:WorkersKvNamespace", "title"),
    "d1": ("cloudflare:index/d1Database:D1Database", "name"),
}
SHAPES = {
    "worker": '["{}"]',
    "external": '(["{} (external)"])',
    "kv": '[("KV {}")]',
    "d1": '[("D1 {}")]',
    "queue": '>"queue {}"]',
    "secret": '{{{{"secret {}"}}}}',
    "dispatch": '[["dispatch {}"]]',
}
CHANGED_STYLE = "stroke:#d97706,stroke-width:4px"
REMOVED_STYLE = "stroke:#cf222e,stroke-width:2px"
LEGEND = (
    "Thick orange: binding added or repointed. Dashed red: binding removed (or its old target)."
)


@dataclass(frozen=True)
class Node:
    kind: str
    label: str

    @property
    def id(self) -> str:
        return f"{self.kind}_{re.sub(r'[^A-Za-z0-9]', '_', self.label)}"


Edges = dict[tuple[str, str, Node], float]
"""(worker script name, binding name, target node) -> share of the worker's traffic."""


def binding_edges(manifest: Manifest | None) -> Edges:
    if manifest is None:
        return {}
    edges: Edges = {}
    scripts, shares = _script_names(manifest), _shares(manifest)
    for holder in manifest.resources:
        bindings = holder.inputs.get("bindings")
        if holder.type not in BINDING_HOLDERS or not isinstance(bindings, list):
            continue  # a secret bindings list cannot be drawn
        worker = scripts.get(holder.parent or "", holder.name)
        if holder.type == WORKERS_SCRIPT:
            worker = str(holder.inputs.get("scriptName"))
        share = shares.get(holder.name, 0.0) if holder.type != WORKERS_SCRIPT else 100.0
        for binding in bindings:
            kind, field = TARGET_FIELDS.get(binding.get("type"), (None, None))
            if kind is not None:
                target = Node(kind, _resolve(manifest, kind, str(binding.get(field))))
                key = (worker, binding["name"], target)
                edges[key] = edges.get(key, 0.0) + share
    return edges


def _script_names(manifest: Manifest) -> dict[str, str]:
    """Parent component URN -> the script name of the Worker under it."""
    return {
        r.parent or "": str(r.inputs.get("name")) for r in manifest.resources if r.type == WORKER
    }


def _shares(manifest: Manifest) -> dict[str, float]:
    """Version resource name -> its percentage in its worker's deployment (absent: 0)."""
    shares: dict[str, float] = {}
    for deployment in manifest.resources:
        versions = deployment.inputs.get("versions")
        if deployment.type != WORKERS_DEPLOYMENT or not isinstance(versions, list):
            continue
        for version in versions:
            match = _PLACEHOLDER.match(str(version.get("versionId")))
            if match and isinstance(version.get("percentage"), int | float):
                shares[match["name"]] = float(version["percentage"])
    return shares


def mermaid_graph(base: Manifest | None, head: Manifest | None) -> tuple[str, bool]:
    """The flowchart source and whether any edge changed."""
    old, new = binding_edges(base), binding_edges(head)
    declared = _declared_workers(base) | _declared_workers(head)
    lines = ["flowchart LR"]
    nodes: dict[str, str] = {}
    for worker in sorted(declared):  # workers without edges are drawn too
        _node(nodes, Node("worker", worker), declared)
    links: list[tuple[str, str, str, str, str | None]] = []  # src, arrow, label, dst, style
    for key in sorted(set(old) | set(new), key=lambda k: (k[0], k[1], k[2].id)):
        worker, name, target = key
        src = _node(nodes, Node("worker", worker), declared)
        dst = _node(nodes, target, declared)
        if key in new:
            changed = old.get(key) != new[key]
            arrow, style = ("==>", CHANGED_STYLE) if changed else ("-->", None)
            links.append((src, arrow, _label(name, new[key]), dst, style))
        else:
            links.append((src, "-.->", _label(name, old[key]), dst, REMOVED_STYLE))
    lines += [f"    {definition}" for definition in nodes.values()]
    lines += [f"    {src} {arrow}|{_escape(label)}| {dst}" for src, arrow, label, dst, _ in links]
    lines += [f"    linkStyle {i} {style}" for i, (*_, style) in enumerate(links) if style]
    return "\n".join(lines), any(style for *_, style in links)


def _node(nodes: dict[str, str], node: Node, declared: set[str]) -> str:
    kind = node.kind
    if kind == "worker" and node.label not in declared:
        kind = "external"
    if node.id not in nodes:
        nodes[node.id] = node.id + SHAPES[kind].format(_escape(node.label))
    return node.id


def _label(binding: str, share: float) -> str:
    """The binding's name, with its share of the traffic when that is not all of it."""
    return binding if abs(share - 100) < 1e-9 else f"{binding} {share:g}%"


def _declared_workers(manifest: Manifest | None) -> set[str]:
    if manifest is None:
        return set()
    return {_declared_name(r) for r in manifest.resources if r.type in (WORKER, WORKERS_SCRIPT)}


def _declared_name(resource: Resource) -> str:
    key = "name" if resource.type == WORKER else "scriptName"
    return str(resource.inputs.get(key))


def _resolve(manifest: Manifest, kind: str, value: str) -> str:
    match = _PLACEHOLDER.match(value)
    if kind not in NAME_FIELDS or match is None:
        return value
    type_, field = NAME_FIELDS[kind]
    for resource in manifest.resources:
        if resource.type == type_ and resource.name == match["name"]:
            return str(resource.inputs.get(field, match["name"]))
    return match["name"]


def _escape(text: str) -> str:
    return text.replace('"', "#quot;").replace("|", "#124;")
