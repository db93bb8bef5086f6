"""Throwaway git repositories holding a copy of this project's program, for diff tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from plan.engine import PROGRAM_PACKAGES
from tests.support.project import PLATFORM_KEY, REPO, platform_of, stack_file

PROGRAM = ("Pulumi.yaml", "__main__.py", "stacks", "components", "plan", "policy")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(root), "-c", "core.hooksPath=/dev/null", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def program_repo(root: Path) -> Path:
    """A new repository at `root` with a copy of this project's program (no stack files)."""
    root.mkdir(parents=True)
    for name in PROGRAM:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=IGNORE)
        elif source.is_file():
            shutil.copy2(source, root / name)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "plan-diff-tests@example.invalid")
    git(root, "config", "user.name", "plan diff tests")
    git(root, "config", "commit.gpgsign", "false")
    return root


def offline_platform(stack: str) -> dict[str, Any]:
    """The repository's platform config of `stack` without the mail section (and its secret)."""
    platform = platform_of(stack)
    token = (platform.pop("mail", None) or {}).get("serverTokenSecret", "POSTMARK_SERVER_TOKEN")
    for worker in platform["workers"].values():
        worker["bindings"] = [b for b in worker.get("bindings", []) if b.get("secret") != token]
    return platform


def write_stack(root: Path, stack: str, platform: dict[str, Any]) -> None:
    data = stack_file(stack)
    data["config"][PLATFORM_KEY] = platform
    (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def commit(root: Path, message: str) -> str:
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", message)
    return git(root, "rev-parse", "HEAD")


def set_binding(platform: dict[str, Any], worker: str, binding: str, **fields: Any) -> None:
    """Point binding `binding` of `worker` elsewhere (e.g. service="cosmos-mail-worker")."""
    for entry in platform["workers"][worker]["bindings"]:
        if entry["name"] == binding:
            entry.update(fields)
            return
    raise KeyError(f"{worker} has no binding {binding}")


@contextmanager
def program_modules_restored() -> Iterator[None]:
    """Evaluating a copy of the program swaps the `stacks`/`components` modules (and sys.path)
    to the copy; put this session's back afterwards, so that classes other tests imported (such
    as stacks.errors.ConfigError) stay the ones in sys.modules."""
    packages = (*PROGRAM_PACKAGES, "policy")
    saved = {n: m for n, m in sys.modules.items() if n.split(".")[0] in packages}
    path = list(sys.path)
    try:
        yield
    finally:
        for name in [n for n in sys.modules if n.split(".")[0] in packages]:
            del sys.modules[name]
        sys.modules.update(saved)
        sys.path[:] = path
