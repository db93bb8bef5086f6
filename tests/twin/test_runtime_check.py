"""`plan check STACK --runtime`: each bundle loaded in workerd, before deploy, for what only the
runtime reports; problems at the bundle's key path, exit 2."""

from __future__ import annotations

import pytest

from tests.twin.harness import run_plan, scratch_project, set_bundle, tagged_processes

KEY = "edge-platform:platform.workers"
MAILER = """
import { WorkerEntrypoint } from "cloudflare:workers";
export class Mailer extends WorkerEntrypoint {
  async send(to) { return { to }; }
}
export default { async fetch() { return new Response("mail"); } };
"""


@pytest.fixture
def broken_project(tmp_path):
    """Staging with each problem once: auth has no handlers, the mail worker consumes its queue
    without a queue handler and lacks the entrypoint auth binds, the dispatcher does not parse."""

    def edit(platform):
        workers = platform["workers"]
        workers["auth"]["bindings"][0]["entrypoint"] = "Mailr"  # the export is `Mailer`
        project = tmp_path / "project"
        set_bundle(project, workers["auth"], "export default {};\n")
        set_bundle(project, workers["bookmarks-mail-worker"], MAILER)
        set_bundle(project, workers["dispatcher"], "export default { fetch(request) {\n")

    return scratch_project(tmp_path / "project", edit)


def test_the_repository_bundles_pass(twin_installed):
    result = run_plan("check", "staging", "--runtime")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every stable bundle loads in workerd" in result.stdout
    assert tagged_processes(result.tag) == []


def test_each_problem_is_reported_at_its_key_path(twin_installed, broken_project):
    result = run_plan("--config-dir", str(broken_project), "check", "staging", "--runtime")
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "stack 'staging': 4 runtime problems (workerd 1.20260426.1)" in lines

    def problem(worker: str, text: str) -> str:
        found = [
            line for line in lines if line.startswith(f"- {KEY}.{worker}.bundle: ") and text in line
        ]
        assert len(found) == 1, f"no line for {worker} with {text!r} in:\n{result.stdout}"
        return found[0]

    problem("auth", "has no registered event handlers")
    problem(
        "bookmarks-mail-worker",
        "has no `queue` handler, but workers.bookmarks-mail-worker.consumes[0]",
    )
    line = problem("bookmarks-mail-worker", "does not export entrypoint 'Mailr'")
    assert "workers.auth.bindings[0] (MAIL_SERVICE)" in line
    assert "its named exports: Mailer" in line  # what workerd saw the bundle export
    assert "SyntaxError" in problem("dispatcher", "does not load in workerd")
    assert tagged_processes(result.tag) == []


def test_without_runtime_the_check_stays_offline(broken_project):
    result = run_plan("--config-dir", str(broken_project), "check", "staging")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "runtime" not in result.stdout
    assert tagged_processes(result.tag) == []
