"""`python -m plan verify STACK --base-url WORKER=URL`: each worker's smoke checks over HTTP.

The workers are stood in for by a local HTTP server on 127.0.0.1 (tests/support/fake_worker.py,
one per test, always stopped) whose answers each test scripts: a status, a body, a delay.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from plan.cli import app
from tests.support.fake_worker import Answer, FakeWorker, serve_fake_worker
from tests.support.project import platform_of, write_project

STACK = "staging"
runner = CliRunner()


@pytest.fixture
def worker() -> Iterator[FakeWorker]:
    with serve_fake_worker() as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)


def project(tmp_path: Path, smoke: Any, worker: str = "auth") -> Path:
    platform = platform_of(STACK)
    platform["workers"][worker]["smoke"] = smoke
    return write_project(tmp_path / "project", STACK, platform)


def result_cell(stdout: str, check: str) -> str:
    """The result (last) cell of the table's row of one check."""
    (row,) = [line for line in stdout.splitlines() if check in line and "│" in line]
    return row.rstrip(" │").rsplit("│", 1)[-1].strip()


def verify(root: Path, *args: str):
    return runner.invoke(app, ["--config-dir", str(root), "verify", STACK, *args])


def verify_auth(tmp_path: Path, worker: FakeWorker, smoke: list[dict], **answers: list[Answer]):
    """Run auth's `smoke` checks against `worker` answering `answers` (keyed by path name)."""
    for name, queue in answers.items():
        worker.answers[f"/{name}"] = queue
    return verify(project(tmp_path, smoke), "--base-url", f"auth={worker.url}")


def test_healthy_worker_passes(tmp_path, worker):
    result = verify_auth(
        tmp_path,
        worker,
        [{"path": "/health", "bodyContains": '"ok":true'}],
        health=[Answer(200, '{"ok":true}')],
    )

    assert result.exit_code == 0, result.output
    assert result_cell(result.stdout, "GET /health") == "pass"
    assert "stack 'staging': 1 of 1 smoke checks passed" in result.stdout
    assert worker.requests == ["/health"]


def test_the_stack_files_check_the_auth_workers_health_route(worker):
    """The committed stack files' own check, as the example auth worker answers it."""
    worker.answers["/health"] = [Answer(200, '{"ok":true}')]
    result = runner.invoke(app, ["verify", STACK, "--base-url", f"auth={worker.url}"])
    assert result.exit_code == 0, result.output
    assert worker.requests == ["/health"]


def test_a_500_fails_and_names_the_check(tmp_path, worker):
    result = verify_auth(
        tmp_path,
        worker,
        [{"path": "/health", "retries": 0}],
        health=[Answer(500, "internal error")],
    )

    assert result.exit_code == 1, result.output
    assert "FAILED auth GET /health: expected 200, got 500" in result.stdout
    assert result_cell(result.stdout, "GET /health") == "FAIL"
    assert "stack 'staging': 0 of 1 smoke checks passed" in result.stdout
    assert "do-not-print" not in result.output  # no header is printed


def test_a_timeout_fails(tmp_path, worker):
    result = verify_auth(
        tmp_path,
        worker,
        [{"path": "/health", "timeoutSeconds": 1, "retries": 0}],
        health=[Answer(delay=5)],
    )

    assert result.exit_code == 1, result.output
    assert "auth GET /health: expected 200, got no answer: timed out after 1 s" in result.stdout


def test_a_wrong_body_fails_with_a_short_excerpt(tmp_path, worker):
    secretish = "x" * 500 + "TAIL-NEVER-PRINTED"
    result = verify_auth(
        tmp_path,
        worker,
        [{"path": "/health", "bodyContains": '"ok":true'}],
        health=[Answer(200, '{"ok":false,"detail":"' + secretish + '"}')],
    )

    assert result.exit_code == 1, result.output
    assert (
        """FAILED auth GET /health: expected 200, body contains '"ok":true', got 200, body """
        """without '"ok":true' (starts '{"ok":false,"detail":"xxx"""
    ) in result.stdout
    assert "TAIL-NEVER-PRINTED" not in result.output
    assert worker.requests == ["/health"]  # a 200 is final: not retried


def test_a_name_that_cannot_resolve_fails_clearly(tmp_path):
    root = project(tmp_path, [{"path": "/health", "retries": 0}])

    result = verify(root, "--base-url", "auth=http://nonexistent.invalid")

    assert result.exit_code == 1, result.output
    assert (
        "FAILED auth GET /health: expected 200, got no answer: cannot resolve host "
        "'nonexistent.invalid'"
    ) in result.stdout


def test_a_503_that_recovers_on_retry_passes(tmp_path, worker):
    result = verify_auth(
        tmp_path,
        worker,
        [{"path": "/health", "retries": 2}],
        health=[Answer(503, "starting"), Answer(200, '{"ok":true}')],
    )

    assert result.exit_code == 0, result.output
    assert worker.requests == ["/health", "/health"]


def test_retries_are_bounded(tmp_path, worker):
    result = verify_auth(
        tmp_path, worker, [{"path": "/health", "retries": 1}], health=[Answer(503, "down")]
    )

    assert result.exit_code == 1, result.output
    assert "FAILED auth GET /health: expected 200, got 503 (2 attempts)" in result.stdout
    assert len(worker.requests) == 2


def test_json_report(tmp_path, worker):
    worker.answers["/health"] = [Answer(200, '{"ok":true}')]
    worker.answers["/ready"] = [Answer(500, "no")]
    root = project(tmp_path, [{"path": "/health"}, {"path": "/ready", "retries": 0}])

    result = verify(root, "--base-url", f"auth={worker.url}", "--json")

    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report == {
        "stack": "staging",
        "passed": False,
        "checks": [
            {
                "worker": "auth",
                "target": "deployed",
                "method": "GET",
                "path": "/health",
                "expected": {"status": 200, "bodyContains": None},
                "got": {"status": 200, "error": None},
                "attempts": 1,
                "result": "pass",
            },
            {
                "worker": "auth",
                "target": "deployed",
                "method": "GET",
                "path": "/ready",
                "expected": {"status": 200, "bodyContains": None},
                "got": {"status": 500, "error": None},
                "attempts": 1,
                "result": "fail",
            },
        ],
    }


# --- config and usage errors: exit 2, nothing requested -----------------------------------------


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        ({"path": "health"}, "workers.auth.smoke[0].path: must be a path starting with /"),
        ({"path": "/h", "status": 42}, "workers.auth.smoke[0].status: must be greater than"),
        ({"path": "/h", "status": 600}, "workers.auth.smoke[0].status: must be less than"),
        ({"path": "/h", "retries": 11}, "workers.auth.smoke[0].retries: must be less than"),
        ({"path": "/h", "timeoutSeconds": 0}, "workers.auth.smoke[0].timeoutSeconds: must be"),
        ({"path": "/h", "timeoutSeconds": 61}, "workers.auth.smoke[0].timeoutSeconds: must be"),
        (
            {"path": "/h", "bodyContain": "ok"},
            "workers.auth.smoke[0].bodyContain: unknown key; did you mean `bodyContains`?",
        ),
        ({"status": 200}, "workers.auth.smoke[0].path: required key is missing"),
    ],
)
def test_invalid_checks_are_config_errors(tmp_path, worker, check, expected):
    root = project(tmp_path, [check])

    result = verify(root, "--base-url", f"auth={worker.url}")

    assert result.exit_code == 2, result.output
    assert "edge-platform:platform." + expected in result.stderr
    assert result.stdout == ""
    assert worker.requests == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--base-url", "auht=http://127.0.0.1:1"], "unknown worker 'auht'; did you mean 'auth'?"),
        ([], "no base URL for 'auth' (it has smoke checks); give --base-url auth=URL"),
        (["--base-url", "auth"], "--base-url 'auth' is not WORKER=URL"),
        (["--base-url", "auth=ftp://x"], "not an http:// or https:// URL"),
        (["--base-url", "auth=http://u:p@x"], "credentials in the URL are refused"),
    ],
)
def test_usage_errors_exit_2(tmp_path, args, expected):
    root = project(tmp_path, [{"path": "/health"}])

    result = verify(root, *args)

    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert result.stdout == ""


def test_a_bad_stack_file_exits_2(tmp_path, worker):
    root = project(tmp_path, [{"path": "/health"}])
    stack_file = root / f"Pulumi.{STACK}.yaml"
    stack_file.write_text(stack_file.read_text().replace("environment: staging", "environment: x"))

    result = verify(root, "--base-url", f"auth={worker.url}")

    assert result.exit_code == 2, result.output
    assert "edge-platform:platform.environment" in result.stderr
    assert worker.requests == []


# -- a deployment split between a stable and a candidate version --------------------------------

STABLE_ID, CANDIDATE_ID = "11111111-aaaa", "22222222-bbbb"


def split_outputs(tmp_path: Path, candidate_share: float = 10) -> Path:
    path = tmp_path / "outputs.json"
    versions = [{"role": "stable", "id": STABLE_ID, "percentage": 100 - candidate_share}]
    versions.append({"role": "candidate", "id": CANDIDATE_ID, "percentage": candidate_share})
    workers = {"auth": {"scriptName": "auth-staging", "versions": versions}}
    path.write_text(json.dumps({"workers": workers}))
    return path


def test_each_version_of_a_split_is_checked_pinned_by_the_override_header(tmp_path, worker):
    worker.answers["/health"] = [Answer(200, '{"ok":true}')]
    worker.by_override[f'auth-staging="{CANDIDATE_ID}"'] = Answer(500, "candidate broken")
    root = project(tmp_path, [{"path": "/health", "retries": 0}])

    result = verify(
        root, "--base-url", f"auth={worker.url}", "--outputs", str(split_outputs(tmp_path))
    )

    assert result.exit_code == 1, result.output
    assert worker.overrides == [f'auth-staging="{STABLE_ID}"', f'auth-staging="{CANDIDATE_ID}"']
    assert "FAILED auth (candidate) GET /health: expected 200, got 500" in result.stdout
    assert "FAILED auth (stable)" not in result.stdout
    assert "stack 'staging': 1 of 2 smoke checks passed" in result.stdout


def test_a_deployment_with_one_live_version_is_checked_as_deployed(tmp_path, worker):
    worker.answers["/health"] = [Answer(200, '{"ok":true}')]
    root = project(tmp_path, [{"path": "/health"}])
    outputs = split_outputs(tmp_path, candidate_share=100)

    result = verify(root, "--base-url", f"auth={worker.url}", "--outputs", str(outputs), "--json")

    assert result.exit_code == 0, result.output
    assert worker.overrides == [None]
    assert [c["target"] for c in json.loads(result.stdout)["checks"]] == ["deployed"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot be read"),
        ("{not json", "not JSON"),
        ('{"environment": "staging"}', "no `workers` output"),
        ('{"workers": {"dispatcher": {}}}', "no worker 'auth'"),
        (
            '{"workers": {"auth": {"versions": [{"percentage": 90}, {"percentage": 10}]}}}',
            "workers.auth.scriptName, workers.auth.versions[0].role",
        ),
    ],
)
def test_unusable_outputs_are_a_usage_error(tmp_path, worker, content, message):
    root = project(tmp_path, [{"path": "/health"}])
    path = tmp_path / "outputs.json"
    if content is not None:
        path.write_text(content)

    result = verify(root, "--base-url", f"auth={worker.url}", "--outputs", str(path))

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert worker.requests == []
