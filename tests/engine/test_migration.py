"""A stack deployed with one WorkersScript per worker moves to Worker + versions + deployment.

Run by the real Pulumi engine against the local cloud. The stack is first deployed with the
component as it was released before versions (fixtures/legacy_worker.py); then the current
component takes over. The Worker answers to the old WorkersScript through its alias, so the
script (Cloudflare's Worker is the same object) is adopted, never deleted and recreated: its
queue consumer and service bindings keep pointing at it throughout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.engine.conftest import STACKS, Deployed, deployment
from tests.engine.test_lifecycle import preview, touched
from tools.localcloud.project import git

pytestmark = [pytest.mark.engine, pytest.mark.xdist_group("engine")]

LEGACY = Path(__file__).parent / "fixtures" / "legacy_worker.py"
PACKAGE = "components/cloudflare/__init__.py"
CURRENT_IMPORT = "from components.cloudflare.worker import (\n    Annotations,\n    CustomDomain,\n"
SCRIPT = "cloudflare:index/workersScript:WorkersScript"
WORKER = "cloudflare:index/worker:Worker"
VERSION = "cloudflare:index/workerVersion:WorkerVersion"
DEPLOYMENT = "cloudflare:index/workersDeployment:WorkersDeployment"
WORKERS = ("auth", "bookmarks-mail-worker", "dispatcher")


def install_legacy_component(project: Path) -> None:
    shutil.copy(LEGACY, project / "components/cloudflare/legacy_worker.py")
    package = project / PACKAGE
    text = package.read_text()
    assert text.count(CURRENT_IMPORT) == 1
    package.write_text(
        text + "\nfrom components.cloudflare.legacy_worker import Worker  # noqa: E402,F811\n"
    )


@pytest.fixture(scope="module", params=STACKS)
def legacy(request, tmp_path_factory):
    stack = request.param
    root = tmp_path_factory.mktemp(f"migration-{stack}")
    with deployment(root, stack, prepare=install_legacy_component) as deployed:
        yield deployed


def scripts(deployed: Deployed) -> dict[str, dict]:
    suffix = "-staging" if deployed.stack_name == "staging" else ""
    return {w: deployed.cloud.script(deployed.stack_name, f"{w}{suffix}") for w in WORKERS}


def types_in_state(deployed: Deployed) -> set[str]:
    return {r["type"] for r in deployed.exported()["resources"]}


def test_a_workers_script_stack_adopts_its_scripts_as_workers_with_versions(legacy: Deployed):
    assert SCRIPT in types_in_state(legacy) and VERSION not in types_in_state(legacy)
    before = scripts(legacy)
    suffix = "-staging" if legacy.stack_name == "staging" else ""

    git(legacy.project, "checkout", "HEAD~1", "--", PACKAGE)  # the current component again
    (legacy.project / "components/cloudflare/legacy_worker.py").unlink()
    git(legacy.project, "commit", "-q", "-am", "Workers as Worker + versions + deployment")
    _, steps = preview(legacy)
    ops = touched(steps)

    # Nothing is deleted or replaced: each script is adopted as a Worker (an update through the
    # alias), and gets its first version and a deployment.
    assert not [op for op in ops.values() if op not in ("create", "update")], ops
    workers = [urn for urn, op in ops.items() if f"${WORKER}::" in urn]
    assert len(workers) == len(WORKERS) and all(ops[u] == "update" for u in workers), ops
    assert sum(f"${VERSION}::" in u and op == "create" for u, op in ops.items()) == len(WORKERS)
    assert sum(f"${DEPLOYMENT}::" in u and op == "create" for u, op in ops.items()) == len(WORKERS)

    legacy.run("up")
    after = scripts(legacy)
    for worker in WORKERS:  # the same scripts, not new ones of the same name
        assert (after[worker]["tag"], after[worker]["created_on"]) == (
            before[worker]["tag"],
            before[worker]["created_on"],
        ), worker
        ((live, share),) = legacy.cloud.live_split(legacy.stack_name, f"{worker}{suffix}")
        assert share == 100
        assert live["modules"][0]["sha256"] == before[worker]["content_sha256"], worker
    assert SCRIPT not in types_in_state(legacy)
    _, steps = preview(legacy)
    assert steps == []
