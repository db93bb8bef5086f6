"""CI fetches release assets by the tags the stack files pin and refuses bytes that are not
the pin (`.github/scripts/bundles.sh fetch`, with a stand-in `gh` on PATH)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.plan_diff.gitrepo import offline_platform, program_repo, write_stack
from tests.support.project import REPO

pytestmark = pytest.mark.slow

RELEASED = b"export default { fetch() { return new Response('auth v1.5.0') } }\n"
RELEASED_SHA = hashlib.sha256(RELEASED).hexdigest()
STAND_IN_GH = """#!/bin/sh
# gh release download TAG --repo R --pattern ASSET --output FILE --clobber
echo "$@" >>"$GH_CALLS"
tag="$3"; asset="$7"; out="$9"
cat "$GH_RELEASES/$tag/$asset" >"$out"
"""


@pytest.fixture
def project(tmp_path):
    root = program_repo(tmp_path / "repo")
    (root / ".venv").symlink_to(REPO / ".venv")
    (root / ".github/scripts").mkdir(parents=True)
    shutil.copy2(REPO / ".github/scripts/bundles.sh", root / ".github/scripts/bundles.sh")
    platform = offline_platform("staging")
    platform["workers"]["auth"]["bundle"] = {
        "release": "v1.5.0",
        "asset": "auth.js",
        "sha256": RELEASED_SHA,
    }
    write_stack(root, "staging", platform)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(STAND_IN_GH)
    (bin_dir / "gh").chmod(0o755)
    releases = tmp_path / "releases"
    (releases / "v1.5.0").mkdir(parents=True)
    return root, bin_dir, releases


def fetch(root: Path, bin_dir: Path, releases: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "BUNDLES_REPO": "example/workers",
        "GH_RELEASES": str(releases),
        "GH_CALLS": str(root / "gh-calls"),
    }
    return subprocess.run(
        [str(root / ".github/scripts/bundles.sh"), "fetch", "staging"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_pinned_asset_is_fetched_by_its_tag_and_verified(project):
    root, bin_dir, releases = project
    (releases / "v1.5.0/auth.js").write_bytes(RELEASED)

    done = fetch(root, bin_dir, releases)

    assert done.returncode == 0, done.stdout + done.stderr
    assert (root / "bundles/v1.5.0/auth.js").read_bytes() == RELEASED
    calls = (root / "gh-calls").read_text().split()
    assert calls[:3] == ["release", "download", "v1.5.0"] and "auth.js" in calls
    assert f"| `v1.5.0` | `auth.js` | `{RELEASED_SHA}` |" in done.stdout


def test_a_moved_tag_is_refused_naming_the_asset_and_both_hashes(project):
    root, bin_dir, releases = project
    moved = RELEASED + b"// re-uploaded under the same tag\n"
    (releases / "v1.5.0/auth.js").write_bytes(moved)

    done = fetch(root, bin_dir, releases)

    assert done.returncode == 1
    assert "release v1.5.0 asset auth.js" in done.stdout
    assert hashlib.sha256(moved).hexdigest()[:12] in done.stdout
    assert RELEASED_SHA[:12] in done.stdout
    assert not (root / "bundles/v1.5.0/auth.js").exists()  # nothing left for a later job


def test_a_bad_pin_stops_before_any_download(project):
    root, bin_dir, releases = project
    stack_file = root / "Pulumi.staging.yaml"
    data = yaml.safe_load(stack_file.read_text())
    data["config"]["edge-platform:platform"]["workers"]["auth"]["bundle"]["sha256"] = "3f2a"
    stack_file.write_text(yaml.safe_dump(data, sort_keys=False))

    done = fetch(root, bin_dir, releases)

    assert done.returncode != 0
    assert "workers.auth.bundle.sha256" in done.stderr
    assert not (root / "gh-calls").exists()


def test_a_candidates_release_asset_is_fetched_too(project):
    root, bin_dir, releases = project
    (releases / "v1.5.0" / "auth.js").write_bytes(RELEASED)
    candidate = b"export default { fetch() { return new Response('auth v1.6.0-rc') } }\n"
    (releases / "v1.6.0").mkdir()
    (releases / "v1.6.0" / "auth.js").write_bytes(candidate)
    stack_file = root / "Pulumi.staging.yaml"
    data = yaml.safe_load(stack_file.read_text())
    data["config"]["edge-platform:platform"]["workers"]["auth"]["candidate"] = {
        "percentage": 10,
        "bundle": {
            "release": "v1.6.0",
            "asset": "auth.js",
            "sha256": hashlib.sha256(candidate).hexdigest(),
        },
    }
    stack_file.write_text(yaml.safe_dump(data, sort_keys=False))

    done = fetch(root, bin_dir, releases)

    assert done.returncode == 0, done.stderr
    assert (root / "bundles/v1.6.0/auth.js").read_bytes() == candidate
    assert (root / "bundles/v1.5.0/auth.js").read_bytes() == RELEASED


def test_one_asset_pinned_with_two_hashes_names_both_places(project):
    root, _, _ = project
    stack_file = root / "Pulumi.staging.yaml"
    data = yaml.safe_load(stack_file.read_text())
    data["config"]["edge-platform:platform"]["workers"]["auth"]["candidate"] = {
        "percentage": 10,
        "bundle": {"release": "v1.5.0", "asset": "auth.js", "sha256": "f" * 64},
    }
    stack_file.write_text(yaml.safe_dump(data, sort_keys=False))

    done = subprocess.run(
        [str(root / ".venv/bin/python"), "-m", "plan", "bundles", "staging"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 2
    assert "release v1.5.0 asset auth.js is pinned with two hashes" in done.stderr
    assert "Pulumi.staging.yaml workers.auth.bundle" in done.stderr
    assert "Pulumi.staging.yaml workers.auth.candidate.bundle" in done.stderr
