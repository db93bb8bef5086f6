"""Text rendering of one stack's manifest: a tree of resources with properties and options."""

from __future__ import annotations

import yaml

from plan.manifest import Manifest, Resource

# libyaml's C emitter when PyYAML has it; same output, several times faster on large stacks.
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump(value: object, **options: object) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=True, default_flow_style=False, **options)


def render_show(manifest: Manifest) -> str:
    children: dict[str | None, list[Resource]] = {}
    urns = {r.urn for r in manifest.resources}
    for r in sorted(manifest.resources, key=lambda r: (r.type, r.name)):
        parent = r.parent if r.parent in urns else None
        children.setdefault(parent, []).append(r)

    custom = sum(1 for r in manifest.resources if r.custom)
    lines = [
        f"Stack {manifest.stack} ({manifest.project}): {custom} resources "
        f"in {len(manifest.resources) - custom} components",
        "Offline plan: Pulumi SDK mock engine, no cloud calls; ids show as <name.id>.",
        "",
    ]

    def walk(parent: str | None, depth: int) -> None:
        for r in children.get(parent, []):
            pad = "    " * depth
            lines.append(f"{pad}{_head(r)}")
            if r.custom:
                body = _dump(r.inputs, width=100)
                lines.extend(f"{pad}      {line}" for line in body.rstrip().splitlines())
            walk(r.urn, depth + 1)

    walk(None, 0)
    if manifest.outputs:
        lines += ["", "Outputs:"]
        body = _dump(manifest.outputs)
        lines.extend(f"    {line}" for line in body.rstrip().splitlines())
    return "\n".join(lines) + "\n"


def _head(r: Resource) -> str:
    flags = [
        flag
        for flag, on in (
            ("protect", r.protect),
            ("retain-on-delete", r.retain_on_delete),
            ("delete-before-replace", r.delete_before_replace),
        )
        if on
    ]
    if r.secret_inputs:
        flags.append("secret: " + ", ".join(r.secret_inputs))
    suffix = f"  [{'; '.join(flags)}]" if flags else ""
    marker = "+" if r.custom else "*"
    return f"{marker} {r.type}  {r.name}{suffix}"
