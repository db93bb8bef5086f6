"""What stops the twin before it runs: one line saying what to do, exit 2, nothing left running."""

from __future__ import annotations

import shutil
import socket

import pytest

from plan.twin.config import TWIN_DIR
from tests.twin.harness import run_plan, scratch_project, set_bundle, tagged_processes


def one_error(result) -> str:
    """The single error line of a failed run."""
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert tagged_processes(result.tag) == []
    return lines[0]


def test_missing_bundle(tmp_path):
    def lose_auth(platform):
        set_bundle(tmp_path / "project", platform["workers"]["auth"], "", file="bundles/auth.js")

    project = scratch_project(tmp_path / "project", lose_auth)
    (project / "bundles" / "auth.js").unlink()  # pinned, but not built
    for command in (["dev", "staging"], ["check", "staging", "--runtime"]):
        line = one_error(run_plan("--config-dir", str(project), *command))
        assert line.startswith("error: edge-platform:platform.workers.auth.bundle: bundle ")
        assert "'bundles/auth.js' does not exist; build the worker" in line


def test_broken_bundle(twin_installed, tmp_path):
    def break_auth(platform):
        set_bundle(tmp_path / "project", platform["workers"]["auth"], "export default {\n")

    project = scratch_project(tmp_path / "project", break_auth)
    line = one_error(run_plan("--config-dir", str(project), "dev", "staging", "--port", "0"))
    assert line.startswith(
        "error: edge-platform:platform.workers.auth.bundle: bundle 'examples/workers/auth.js' "
        "does not load in workerd: Uncaught SyntaxError"
    )
    assert "python -m plan check staging --runtime" in line


def test_port_in_use(twin_installed):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_error(run_plan("dev", "staging", "--port", str(port)))
    assert line == (
        f"error: port {port} on 127.0.0.1 is in use (bookmarks-mail-worker-staging would listen "
        "there); stop what uses it, or pass --port with another first port (--port 0: any free "
        "ports)"
    )


@pytest.mark.parametrize("command", [["dev", "staging"], ["check", "staging", "--runtime"]])
def test_node_missing(command, tmp_path):
    bin_dir = tmp_path / "bin"  # git only, no node (the plan runs from sys.executable's path)
    bin_dir.mkdir()
    if shutil.which("git"):
        (bin_dir / "git").symlink_to(shutil.which("git"))
    line = one_error(run_plan(*command, env={"PATH": str(bin_dir)}))
    assert line.startswith("error: node is not on PATH")
    assert "install it, then run `make twin`" in line


def test_npm_packages_missing(tmp_path):
    bare = tmp_path / "twin"
    shutil.copytree(TWIN_DIR, bare, ignore=shutil.ignore_patterns("node_modules"))
    line = one_error(run_plan("dev", "staging", "--twin-dir", str(bare)))
    expected = "the twin's npm packages are not installed: run `make twin` (npm ci in tools/twin)"
    assert line == f"error: {expected}"


def test_secrets_file_naming_an_unknown_secret(tmp_path):
    secrets = tmp_path / "twin.secrets"
    secrets.write_text("POSTMARK_SERVER_TOKEN=canary-known-5f1d\nPOSTMARK_TOKEN=canary-typo-9c2e\n")
    result = run_plan("dev", "staging", "--secrets", str(secrets))
    line = one_error(result)
    assert "line 2: 'POSTMARK_TOKEN' is not a secret of this stack's workers" in line
    for value in ("canary-known-5f1d", "canary-typo-9c2e"):  # values are never echoed
        assert value not in result.stdout + result.stderr
