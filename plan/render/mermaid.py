"""A Mermaid graph of the workers and what their bindings point at, changed edges highlighted.

Edges come from WorkersScript `bindings` (service, KV, D1, queue, secret, dispatch namespace);
plain and secret text bindings are values, not edges. Ids the mock engine cannot know (`<name.id>`)
are resolved to the resource they name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plan.manifest import Manifest

WORKERS_SCRIPT = "cloudflare:index/workersScript:WorkersScript"
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


Edges = dict[tuple[str, str], Node]
"""(worker script name, binding name) -> target node."""


def binding_edges(manifest: Manifest | None) -> Edges:
    if manifest is None:
        return {}
    edges: Edges = {}
    for script in manifest.resources:
        bindings = script.inputs.get("bindings")
        if script.type != WORKERS_SCRIPT or not isinstance(bindings, list):
            continue  # a secret bindings list cannot be drawn
        worker = str(script.inputs.get("scriptName"))
        for binding in bindings:
            kind, field = TARGET_FIELDS.get(binding.get("type"), (None, None))
            if kind is not None:
                target = _resolve(manifest, kind, str(binding.get(field)))
                edges[(worker, binding["name"])] = Node(kind, target)
    return edges


def mermaid_graph(base: Manifest | None, head: Manifest | None) -> tuple[str, bool]:
    """The flowchart source and whether any edge changed."""
    old, new = binding_edges(base), binding_edges(head)
    declared = _declared_workers(base) | _declared_workers(head)
    lines = ["flowchart LR"]
    nodes: dict[str, str] = {}
    for worker in sorted(declared):  # workers without edges are drawn too
        _node(nodes, Node("worker", worker), declared)
    links: list[tuple[str, str, str, str, str | None]] = []  # src, arrow, label, dst, style
    for key in sorted(set(old) | set(new)):
        worker, name = key
        src = _node(nodes, Node("worker", worker), declared)
        if key in new:
            dst = _node(nodes, new[key], declared)
            changed = old.get(key) != new[key]
            links.append(
                (src, "==>" if changed else "-->", name, dst, CHANGED_STYLE if changed else None)
            )
        if key in old and old[key] != new.get(key):
            dst = _node(nodes, old[key], declared)
            links.append((src, "-.->", name, dst, REMOVED_STYLE))
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


def _declared_workers(manifest: Manifest | None) -> set[str]:
    if manifest is None:
        return set()
    return {str(r.inputs.get("scriptName")) for r in manifest.resources if r.type == WORKERS_SCRIPT}


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
