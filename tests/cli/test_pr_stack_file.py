"""The credentialed PR preview takes only the PR's stack file, and only while it leaves provider
and secrets-provider settings as the base has them (.github/scripts/pr_stack_file.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.project import REPO

SCRIPT = REPO / ".github" / "scripts" / "pr_stack_file.py"


def run(base: Path, head: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(head), "staging"],
        cwd=base,
        capture_output=True,
        text=True,
        check=False,
    )


def write(directory: Path, data: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "Pulumi.staging.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


BASE = {
    "encryptionsalt": "v1:salt",
    "config": {"aws:region": "us-east-1", "edge-platform:platform": {"environment": "staging"}},
}


def test_a_platform_change_is_taken(tmp_path):
    base = write(tmp_path / "base", BASE)
    head = {**BASE, "config": {**BASE["config"], "edge-platform:platform": {"environment": "x"}}}
    write(tmp_path / "head", head)

    done = run(tmp_path / "base", tmp_path / "head")

    assert done.returncode == 0, done.stdout
    assert yaml.safe_load(base.read_text()) == head


def test_provider_config_or_secrets_provider_changes_are_refused(tmp_path):
    for changed in (
        {**BASE, "config": {**BASE["config"], "cloudflare:baseUrl": "https://elsewhere.example"}},
        {**BASE, "config": {**BASE["config"], "aws:region": "eu-west-1"}},
        {**BASE, "secretsprovider": "awskms://alias/theirs"},
    ):
        base = write(tmp_path / "base", BASE)
        write(tmp_path / "head", changed)

        done = run(tmp_path / "base", tmp_path / "head")

        assert done.returncode == 3
        assert "skipping the credentialed preview" in done.stdout
        assert yaml.safe_load(base.read_text()) == BASE
