"""The pack's files: its virtualenv requirements cover what it imports, pinned like the project."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.project import REPO

PACK = REPO / "policy"


def pins(path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            req = Requirement(line)
            found[canonicalize_name(req.name)] = str(req.specifier)
    return found


def test_pack_requirements_are_pinned_like_the_project():
    pack = pins(PACK / "requirements.txt")
    project = pins(REPO / "requirements.txt") | pins(REPO / "requirements-dev.txt")
    assert pack["pulumi-policy"] == "==1.21.0"
    assert pack["pulumi"] == "==3.272.0"
    assert all(spec.startswith("==") for spec in pack.values())
    assert {name: project.get(name) for name in pack} == pack


def test_pack_runs_python_from_its_own_ignored_virtualenv():
    manifest = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    venv = manifest["runtime"]["options"]["virtualenv"]
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", f"policy/{venv}/bin/python"], cwd=REPO, check=False
    )
    assert ignored.returncode == 0, f"policy/{venv} must be git-ignored"


def _closure(requirements: list[str]) -> set[str]:
    """The distributions these requirements pull in, transitively (extras left out)."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        for dep in metadata.requires(req.name) or []:
            dep_req = Requirement(dep)
            if dep_req.marker is None or "extra" not in str(dep_req.marker):
                todo.append(dep_req)
    return seen


def test_pack_imports_only_what_its_requirements_install():
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import policy.crossguard; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(REPO)], capture_output=True, text=True, check=True
    )
    modules = set(json.loads(out.stdout)) - set(sys.stdlib_module_names)
    modules -= {"policy", "stacks", "plan"}  # the repository's own packages
    by_module = metadata.packages_distributions()
    needed = {canonicalize_name(dist) for m in modules if m in by_module for dist in by_module[m]}
    lines = [
        ln.split("#", 1)[0].strip() for ln in (PACK / "requirements.txt").read_text().splitlines()
    ]
    installed = _closure([ln for ln in lines if ln])
    assert "pulumi-policy" in needed  # sanity: the closure is really being measured
    assert needed - installed == set()
