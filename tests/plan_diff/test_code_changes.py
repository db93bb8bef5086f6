"""A new bundle reads as a code change: both pinned hashes and where the bytes come from."""

from __future__ import annotations

import hashlib

import pytest

from plan.diff.run import run_diff
from plan.render.markdown import render_markdown
from plan.render.text import render_text
from tests.plan_diff.gitrepo import commit, program_modules_restored, program_repo, write_stack
from tests.support.project import platform_of

pytestmark = pytest.mark.slow

V142 = hashlib.sha256(b"auth v1.4.2").hexdigest()
V150 = hashlib.sha256(b"auth v1.5.0").hexdigest()


def pin_auth(root, bundle: dict) -> None:
    platform = platform_of("staging")
    platform["workers"]["auth"]["bundle"] = bundle
    write_stack(root, "staging", platform)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = program_repo(tmp_path_factory.mktemp("code") / "repo")
    write_stack(root, "staging", platform_of("staging"))
    commits = {"path": commit(root, "auth from the repository")}
    pin_auth(root, {"release": "v1.4.2", "asset": "auth.js", "sha256": V142})
    commits["v1.4.2"] = commit(root, "auth v1.4.2")
    pin_auth(root, {"release": "v1.5.0", "asset": "auth.js", "sha256": V150})
    commits["v1.5.0"] = commit(root, "auth v1.5.0")
    return root, commits


def test_a_release_bump_reads_as_both_hashes_and_both_tags(repo):
    root, commits = repo
    with program_modules_restored():
        report = run_diff(root, commits["v1.4.2"], ["staging"])

    (stack,) = report.stacks
    assert [c.text() for c in stack.code] == [
        f"code: {V142[:12]}… → {V150[:12]}…, release v1.4.2 → v1.5.0"
    ]
    text = render_text(report).plain
    assert f"auth code: {V142[:12]}… → {V150[:12]}…, release v1.4.2 → v1.5.0" in text
    assert f'workers.auth.bundle.sha256: "{V142}" -> "{V150}"' in text  # the exact hash, in full
    assert "auth traffic: stable " in text  # a new stable version takes all the traffic
    assert f"`code: {V142[:12]}… → {V150[:12]}…, release v1.4.2 → v1.5.0`" in render_markdown(
        report
    )


def test_a_move_from_a_repository_path_to_a_release_names_both_sources(repo):
    root, commits = repo
    repo_sha = platform_of("staging")["workers"]["auth"]["bundle"]["sha256"]
    with program_modules_restored():
        report = run_diff(root, commits["path"], ["staging"])

    # The working tree is at v1.5.0; the base pins the repository's example worker.
    (change,) = report.stacks[0].code
    assert change.worker == "auth"
    assert change.text() == (
        f"code: {repo_sha[:12]}… → {V150[:12]}…, path examples/workers/auth.js → "
        "release v1.5.0 (auth.js)"
    )


def test_unchanged_pins_report_no_code_change(repo):
    root, commits = repo
    with program_modules_restored():
        report = run_diff(root, commits["v1.5.0"], ["staging"])
    assert report.stacks[0].code == []
    assert "code:" not in render_text(report).plain
