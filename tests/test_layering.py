"""The packages depend downward only: components <- stacks <- plan, policy.

- components/ knows nothing of the platform: it imports none of stacks, plan, policy;
- stacks/ (the platform, and its guard rails in stacks/guards) imports neither plan nor policy;
- plan/ (the offline tools) and policy/ (the CrossGuard pack) both sit on stacks, and neither
  imports the other;
- the modules of stacks/ import each other without a cycle.

Imports are read from the source with `ast`: module-level, inside functions, under
TYPE_CHECKING, and `importlib.import_module("...")` with a literal name all count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.project import REPO

LAYERS = ("components", "stacks", "plan", "policy")
MAY_IMPORT = {
    "components": {"components"},
    "stacks": {"components", "stacks"},
    "plan": {"components", "stacks", "plan"},
    "policy": {"components", "stacks", "policy"},
}


def modules(root: Path, package: str) -> dict[str, Path]:
    """Module name -> file, for every .py of `package` under `root` (virtualenvs left out)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if any(p.startswith(".") or p == "__pycache__" for p in parts):
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(root: Path, module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import in the file, relative ones resolved."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = ".".join([*parts[:keep], *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                exists = (root / Path(*submodule.split("."))).with_suffix(".py").is_file() or (
                    root / Path(*submodule.split(".")) / "__init__.py"
                ).is_file()
                yield (submodule if exists else base), node.lineno
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, node.lineno


def forbidden_imports(root: Path) -> list[str]:
    found = []
    for package in LAYERS:
        for module, path in modules(root, package).items():
            for target, line in imports(root, module, path):
                top = target.split(".")[0]
                if top in LAYERS and top not in MAY_IMPORT[package]:
                    found.append(f"{path.relative_to(root)}:{line} imports {target}")
    return sorted(set(found))


def cycles(root: Path, package: str) -> list[list[str]]:
    """Import cycles among the modules of `package` (each as the modules around the loop)."""
    mods = modules(root, package)
    graph = {
        m: sorted({t for t, _ in imports(root, m, p) if t in mods and t != m})
        for m, p in mods.items()
    }
    found: list[list[str]] = []
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = "open"
        stack.append(m)
        for t in graph[m]:
            if state.get(t) == "open":
                found.append([*stack[stack.index(t) :], t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m)
    return found


def test_every_package_imports_only_the_layers_below_it():
    assert forbidden_imports(REPO) == []


def test_the_modules_of_stacks_import_each_other_without_a_cycle():
    assert cycles(REPO, "stacks") == []


def test_the_layers_are_all_there():
    """The checks above must be reading the real packages, not an empty tree."""
    for package in LAYERS:
        assert len(modules(REPO, package)) > 1, package
    assert "stacks.guards.rules" in modules(REPO, "stacks")


@pytest.fixture
def tangled(tmp_path: Path) -> Path:
    """A tree with the ties this test exists to catch."""
    files = {
        "components/__init__.py": "",
        "components/kv.py": "from stacks import naming\n",
        "stacks/__init__.py": "",
        "stacks/naming.py": "",
        "stacks/mail.py": "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from stacks.platform import Platform\n",
        "stacks/platform.py": "def build():\n    from stacks.mail import MailDelivery\n",
        "plan/__init__.py": "",
        "plan/check.py": "import importlib\nrules = importlib.import_module('policy.rules')\n",
        "policy/__init__.py": "",
        "policy/rules.py": "from . import crossguard\nfrom plan import check\n",
        "policy/crossguard.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_checks_catch_upward_imports_and_cycles(tangled: Path):
    assert forbidden_imports(tangled) == [
        "components/kv.py:1 imports stacks.naming",
        "plan/check.py:2 imports policy.rules",
        "policy/rules.py:2 imports plan.check",
    ]
    assert cycles(tangled, "stacks") == [["stacks.mail", "stacks.platform", "stacks.mail"]]
