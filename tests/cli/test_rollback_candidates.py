"""`python -m plan rollback-candidates STACK`: the candidates leave the stack file, nothing else.

Run on copies of the committed stack files with a candidate added as a user writes it (with a
comment), then evaluated offline: the deployment is back to 100% of the stable version.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from plan.cli import app
from plan.engine import evaluate
from plan.rollout import RolloutError, drop_candidates
from tests.support.project import REPO

runner = CliRunner()
CANDIDATE = """\
        candidate:                   # PR 1: bookmarks-mail-worker at 10%
          percentage: 10

          bindings:
            - name: MAIL_SERVICE
              service: {service}
"""
SERVICE = {"staging": "cosmos-mail-worker-staging", "prod": "cosmos-mail-worker"}


def with_candidate(stack: str) -> str:
    text = (REPO / f"Pulumi.{stack}.yaml").read_text()
    anchor = "      auth:\n"
    assert text.count(anchor) == 1
    return text.replace(anchor, anchor + CANDIDATE.format(service=SERVICE[stack]), 1)


def project(tmp_path: Path, stack: str, text: str) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "Pulumi.yaml").write_text((REPO / "Pulumi.yaml").read_text())
    (root / f"Pulumi.{stack}.yaml").write_text(text)
    return root


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_dropping_the_candidate_restores_the_committed_file_byte_for_byte(stack):
    edited, dropped = drop_candidates(with_candidate(stack))

    assert edited == (REPO / f"Pulumi.{stack}.yaml").read_text()
    assert [(d.worker, d.percentage) for d in dropped] == [("auth", 10)]


def test_the_command_rewrites_the_file_and_the_plan_is_all_stable(tmp_path):
    root = project(tmp_path, "staging", with_candidate("staging"))

    result = runner.invoke(app, ["--config-dir", str(root), "rollback-candidates", "staging"])

    assert result.exit_code == 0, result.output
    assert "dropped the candidate of 'auth' (10% of its traffic)" in result.stdout
    text = (root / "Pulumi.staging.yaml").read_text()
    assert "candidate" not in text and "# Staging:" in text  # comments kept
    manifest = evaluate(REPO, "staging", config_dir=root)
    (split,) = [
        r.inputs["versions"]
        for r in manifest.resources
        if r.type.endswith("WorkersDeployment") and r.name == "auth-deployment"
    ]
    assert [v["percentage"] for v in split] == [100]


def test_dry_run_and_nothing_to_drop_write_nothing(tmp_path):
    text = with_candidate("staging")
    root = project(tmp_path, "staging", text)

    dry = runner.invoke(
        app, ["--config-dir", str(root), "rollback-candidates", "staging", "--dry-run"]
    )
    assert dry.exit_code == 0 and "would drop the candidate of 'auth'" in dry.stdout
    assert (root / "Pulumi.staging.yaml").read_text() == text

    (root / "Pulumi.staging.yaml").write_text((REPO / "Pulumi.staging.yaml").read_text())
    none = runner.invoke(app, ["--config-dir", str(root), "rollback-candidates", "staging"])
    assert none.exit_code == 0 and "no candidate to drop" in none.stdout


def test_only_the_named_worker_and_an_unknown_one_is_an_error(tmp_path):
    with pytest.raises(RolloutError, match="no worker nope"):
        drop_candidates(with_candidate("staging"), ["nope"])
    edited, dropped = drop_candidates(with_candidate("staging"), ["dispatcher"])
    assert dropped == [] and "candidate:" in edited


def test_a_candidate_written_inline_is_dropped_too():
    committed = (REPO / "Pulumi.staging.yaml").read_text()
    inline = "      auth:\n        candidate: {percentage: 10, removeBindings: [LOG_LEVEL]}\n"
    edited, dropped = drop_candidates(committed.replace("      auth:\n", inline, 1))

    assert edited == committed and [d.worker for d in dropped] == ["auth"]


def test_a_layout_the_edit_does_not_understand_is_refused_and_nothing_written(tmp_path):
    flow = (
        "config:\n"
        "  edge-platform:platform:\n"
        "    environment: staging\n"
        "    workers: {auth: {candidate: {percentage: 10}}}\n"
    )
    root = project(tmp_path, "staging", flow)

    result = runner.invoke(app, ["--config-dir", str(root), "rollback-candidates", "staging"])

    assert result.exit_code == 2
    assert "remove the candidate by hand" in result.output
    assert (root / "Pulumi.staging.yaml").read_text() == flow
