"""The base checkout: a temporary git worktree that never outlives the diff."""

from __future__ import annotations

import pytest

from plan import worktree
from tests.plan_diff.gitrepo import git


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "t@example.invalid")
    git(root, "config", "user.name", "t")
    (root / "Pulumi.yaml").write_text("name: first\n")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--no-gpg-sign", "--message", "first")
    first = git(root, "rev-parse", "HEAD")
    (root / "Pulumi.yaml").write_text("name: second\n")
    return root, first


def worktrees(root) -> list[str]:
    listing = git(root, "worktree", "list", "--porcelain")
    return [line for line in listing.splitlines() if line.startswith("worktree ")]


def test_checkout_shows_the_commit_and_leaves_nothing_behind(repo):
    root, first = repo
    commit = worktree.resolve_commit(root, "main")
    assert commit == first

    with worktree.checkout(root, commit) as tree:
        assert (tree / "Pulumi.yaml").read_text() == "name: first\n"
        assert len(worktrees(root)) == 2

    assert not tree.exists() and not tree.parent.exists()
    assert worktrees(root) == [f"worktree {root}"]
    assert not (root / ".git" / "worktrees").exists() or not any(
        (root / ".git" / "worktrees").iterdir()
    )
    assert (root / "Pulumi.yaml").read_text() == "name: second\n"  # the user's tree untouched
    assert git(root, "status", "--porcelain") == "M Pulumi.yaml"


@pytest.mark.parametrize("interrupt", [RuntimeError("boom"), KeyboardInterrupt()])
def test_checkout_is_removed_on_error_and_ctrl_c(repo, interrupt):
    root, first = repo
    with pytest.raises(type(interrupt)), worktree.checkout(root, first) as tree:
        raise interrupt

    assert not tree.exists()
    assert worktrees(root) == [f"worktree {root}"]


@pytest.mark.parametrize("ref", ["no-such-branch", "--output=x", ""])
def test_bad_ref_is_a_clear_error(repo, ref):
    root, _ = repo
    with pytest.raises(worktree.GitError, match="not a (valid git ref|commit)"):
        worktree.resolve_commit(root, ref)


def test_not_a_repository(tmp_path):
    with pytest.raises(worktree.GitError, match="not in a git repository"):
        worktree.repo_root(tmp_path)


def test_ctrl_c_while_evaluating_the_base_removes_the_worktree(repo, monkeypatch):
    import plan.diff.run as run

    root, first = repo
    sides = []

    def interrupted_on_base(project_dir, stack, side, **_kwargs):
        sides.append(side)
        if side == "base":
            assert len(worktrees(root)) == 2  # the base is checked out while it is evaluated
            raise KeyboardInterrupt
        return run.SideResult(missing=True)

    monkeypatch.setattr(run, "evaluate_side", interrupted_on_base)

    with pytest.raises(KeyboardInterrupt):
        run.run_diff(root, first, ["prod"])

    assert sides == ["working tree", "base"]
    assert worktrees(root) == [f"worktree {root}"]
