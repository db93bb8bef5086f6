"""Build throwaway projects (Pulumi.yaml + stack files + bundles) and evaluate them under mocks.

The program code always comes from this repository; only config and bundles come from tmp.
"""

from __future__ import annotations

import copy
import hashlib
import shutil
from pathlib import Path
from typing import Any

import yaml

from plan.engine import evaluate
from plan.manifest import Manifest, Resource

REPO = Path(__file__).resolve().parents[2]
PLATFORM_KEY = "edge-platform:platform"


def stack_file(stack: str) -> dict[str, Any]:
    """The repository's Pulumi.<stack>.yaml as a dict (a deep copy: mutate freely)."""
    return copy.deepcopy(yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text()))


def platform_of(stack: str) -> dict[str, Any]:
    return stack_file(stack)["config"][PLATFORM_KEY]


def write_project(
    root: Path,
    stack: str,
    platform: dict[str, Any],
    *,
    extra_config: dict[str, Any] | None = None,
    bundles: bool = True,
) -> Path:
    """Write a project for `stack` whose config is `platform` plus the repo's other keys."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text((REPO / "Pulumi.yaml").read_text())
    data = stack_file(stack) if (REPO / f"Pulumi.{stack}.yaml").exists() else {"config": {}}
    data["config"][PLATFORM_KEY] = platform
    data["config"].update(extra_config or {})
    (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    if bundles:
        for name, worker in (platform.get("workers") or {}).items():
            content = f"export default {{ fetch() {{ return new Response('{name}') }} }}\n"
            if isinstance(worker.get("bundle"), dict):
                bundle = worker["bundle"]
                path = root / (
                    bundle.get("path") or f"bundles/{bundle['release']}/{bundle['asset']}"
                )
                bundle["sha256"] = hashlib.sha256(content.encode()).hexdigest()
            else:
                path = root / worker["bundle"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return root


def bundle_file(worker: dict[str, Any]) -> str:
    """Where a worker's pinned bundle is, relative to the project."""
    bundle = worker["bundle"]
    if isinstance(bundle, str):
        return bundle
    return bundle.get("path") or f"bundles/{bundle['release']}/{bundle['asset']}"


def copy_bundles(root: Path, platform: dict[str, Any]) -> None:
    """Copy the repository's bundles of `platform`'s workers into `root`, at the same paths."""
    for worker in (platform.get("workers") or {}).values():
        file = bundle_file(worker)
        target = root / file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / file, target)


def evaluate_project(root: Path, stack: str, **kwargs: Any) -> Manifest:
    return evaluate(REPO, stack, config_dir=root, **kwargs)


def find(manifest: Manifest, type_suffix: str, name: str) -> Resource:
    """The custom resource whose type ends with `type_suffix` and whose logical name is `name`."""
    matches = [
        r
        for r in manifest.resources
        if r.custom and r.type.endswith(type_suffix) and r.name == name
    ]
    assert len(matches) == 1, f"expected one {type_suffix} named {name}, found {len(matches)}"
    return matches[0]


def binding(script: Resource, name: str) -> dict[str, Any]:
    found = [b for b in script.inputs.get("bindings", []) if b["name"] == name]
    assert len(found) == 1, f"binding {name} not found once in {script.name}"
    return found[0]
