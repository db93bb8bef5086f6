"""A commit of the project, checked out in a temporary `git worktree` and always removed again.

The user's working tree, index and branches are never touched: the worktree is detached, its
checkout runs no hooks, and on exit (also on an exception or Ctrl-C) it is removed and pruned so
that `git worktree list` shows nothing of it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class GitError(Exception):
    """The ref is not a commit, or the directory is not in a git repository."""


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), "-c", "core.hooksPath=/dev/null", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise GitError(result.stderr.strip() or f"git {args[0]} failed ({result.returncode})")
    return result.stdout.strip()


def repo_root(path: Path) -> Path:
    try:
        return Path(_git(path, "rev-parse", "--show-toplevel"))
    except GitError as err:
        raise GitError(f"{path} is not in a git repository: {err}") from None


def resolve_commit(repo: Path, ref: str) -> str:
    """The full commit id `ref` names, or GitError saying so."""
    if not ref or ref.startswith("-"):
        raise GitError(f"base ref {ref!r} is not a valid git ref")
    try:
        return _git(
            repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"
        )
    except GitError:
        raise GitError(
            f"base ref {ref!r} is not a commit in {repo} (a typo, or not fetched yet: "
            "`git fetch origin`; CI needs `fetch-depth: 0`)"
        ) from None


@contextmanager
def checkout(repo: Path, commit: str) -> Iterator[Path]:
    """A detached worktree of `commit` in a temporary directory, removed on exit."""
    tmp = Path(tempfile.mkdtemp(prefix="plan-diff-base-"))
    tree = tmp / "tree"
    try:
        _git(repo, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        yield tree
    finally:
        remove(repo, tree)
        shutil.rmtree(tmp, ignore_errors=True)


def remove(repo: Path, tree: Path) -> None:
    """Remove the worktree and its administrative files in .git/worktrees."""
    try:
        _git(repo, "worktree", "remove", "--force", "--force", str(tree))
    except GitError:
        shutil.rmtree(tree, ignore_errors=True)  # half-created, or already gone
    try:
        _git(repo, "worktree", "prune")
    except GitError:
        pass  # nothing to prune is not an error worth failing the diff for
