"""The three ways the tool is used, run by the real Pulumi engine against the local cloud.

`pulumi up` per environment, a preview of a pull request's change, rollback by `git revert`, and
the operations around them (refresh in a fresh process, destroy), for both stacks. Providers:
the project's Postmark dynamic provider against the local Postmark-compatible server; emulated
`cloudflare` and `aws` plugins against the local Cloudflare API emulator and moto (see
tools/localcloud). Nothing here reaches a real cloud.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
import time

import pytest
from pulumi import automation as auto

from tests.engine.conftest import Deployed
from tools.localcloud.conformance import differences
from tools.localcloud.project import git, select_stack

pytestmark = [pytest.mark.engine, pytest.mark.xdist_group("engine")]

STACK_FILE = "Pulumi.{stack}.yaml"
MAIL_SERVICE_LINE = re.compile(r"^(\s+service: )bookmarks-mail-worker(-staging)?$", re.M)
TIMESTAMPS = ("created", "modified")
"""Set by the engine on every resource it writes."""
TIMESTAMP_OUTPUTS = ("createdOn", "modifiedOn", "updatedOn", "deployedOn")
"""Set by Cloudflare on an object it changes (an update, even back to an earlier value)."""


PROVIDER_URN = re.compile(r"::pulumi:providers:[^:]+::")
DYNAMIC_PROVIDER = "pulumi:providers:pulumi-python::default"


def changed_steps(events: list[auto.EngineEvent]) -> list[tuple[str, str]]:
    """(op, urn) of every step on a resource the engine planned other than `same`.

    Provider steps are left out, but only the one that is expected: the SDK hands dynamic
    providers the whole stack config as their inputs, so any config change (this is a stack
    file change) updates the default `pulumi-python` provider. It shows in no summary and
    touches nothing in any cloud; any other provider step fails the caller.
    """
    steps = []
    for event in events:
        pre = event.resource_pre_event
        if pre is None or pre.metadata.op == auto.OpType.SAME:
            continue
        step = (pre.metadata.op.value, pre.metadata.urn)
        if PROVIDER_URN.search(step[1]):
            assert step[0] == "update" and step[1].endswith(DYNAMIC_PROVIDER), step
            continue
        steps.append(step)
    return steps


def preview(deployed: Deployed, **kwargs) -> tuple[auto.PreviewResult, list[tuple[str, str]]]:
    events: list[auto.EngineEvent] = []
    result = deployed.run("preview", on_event=events.append, **kwargs)
    return result, changed_steps(events)


def comparable_state(deployed: Deployed) -> list[dict]:
    """The stack's resources as exported, without the timestamps every update rewrites."""
    # Decrypted (--show-secrets): a secret's ciphertext changes with every write; its value
    # must not. Failures name paths only, never values.
    resources = copy.deepcopy(deployed.stack.export_stack().deployment["resources"])
    for resource in resources:
        for key in TIMESTAMPS:
            resource.pop(key, None)
        for key in TIMESTAMP_OUTPUTS:
            (resource.get("outputs") or {}).pop(key, None)
        # Dependencies are sets; the SDK reports them in the order its outputs resolved.
        resource["dependencies"] = sorted(resource.get("dependencies") or [])
        for prop, deps in (resource.get("propertyDependencies") or {}).items():
            resource["propertyDependencies"][prop] = sorted(deps)
    return sorted(resources, key=lambda r: r["urn"])


def state_differences(before: list[dict], after: list[dict]) -> list[str]:
    """Paths that differ between two comparable states, for a readable failure."""

    def walk(path: str, a, b) -> list[str]:
        if isinstance(a, dict) and isinstance(b, dict):
            return [
                d
                for k in sorted(a.keys() | b.keys())
                for d in walk(f"{path}.{k}", a.get(k), b.get(k))
            ]
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            return [
                d
                for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in walk(f"{path}[{i}]", x, y)
            ]
        return [] if a == b else [path]

    return walk("", {r["urn"]: r for r in before}, {r["urn"]: r for r in after})


def urn_of(deployed: Deployed, type_: str, name: str) -> str:
    for resource in deployed.exported()["resources"]:
        if resource["type"] == type_ and resource["urn"].endswith(f"::{name}"):
            return resource["urn"]
    raise AssertionError(f"no {type_} named {name} in the state")


def test_up_creates_the_stack_and_a_second_preview_changes_nothing(deployed: Deployed):
    up = deployed.up_result
    assert up.summary.result == "succeeded"
    created = up.summary.resource_changes.get("create", 0)
    assert created >= 20, up.summary.resource_changes

    result, steps = preview(deployed)

    assert steps == []
    assert set(result.change_summary) == {"same"}, result.change_summary
    assert result.change_summary["same"] == created


def test_mail_service_repoint_is_one_update_and_its_revert_restores_the_state(deployed: Deployed):
    stack_file = deployed.project / STACK_FILE.format(stack=deployed.stack_name)
    suffix = "-staging" if deployed.stack_name == "staging" else ""
    before = comparable_state(deployed)
    auth_script = urn_of(deployed, "cloudflare:index/workersScript:WorkersScript", "auth")

    text, count = MAIL_SERVICE_LINE.subn(rf"\1cosmos-mail-worker{suffix}", stack_file.read_text())
    assert count == 1
    stack_file.write_text(text)
    git(deployed.project, "commit", "-q", "-am", "auth: MAIL_SERVICE -> cosmos-mail-worker")

    result, steps = preview(deployed)
    assert steps == [("update", auth_script)]
    assert result.change_summary.get("update") == 1

    up = deployed.run("up")
    assert up.summary.resource_changes.get("update") == 1
    bindings = deployed.cloud.script(deployed.stack_name, f"auth{suffix}")["bindings"]
    assert {"name": "MAIL_SERVICE", "service": f"cosmos-mail-worker{suffix}"}.items() <= {
        k: v for b in bindings if b["name"] == "MAIL_SERVICE" for k, v in b.items()
    }.items()

    started = time.monotonic()
    git(deployed.project, "revert", "--no-edit", "HEAD")
    rollback = deployed.run("up")
    seconds = time.monotonic() - started

    assert rollback.summary.resource_changes.get("update") == 1
    assert state_differences(before, comparable_state(deployed)) == []
    print(f"{deployed.stack_name}: git revert to a converged up took {seconds:.1f} s")


AUTH_BUNDLE = "examples/workers/auth.js"


def test_a_bundle_not_matching_its_pin_is_refused_before_anything_registers(deployed: Deployed):
    bundle = deployed.project / AUTH_BUNDLE
    original = bundle.read_bytes()
    before = comparable_state(deployed)
    bundle.write_bytes(original + b"// edited, not re-pinned\n")
    try:
        with pytest.raises(auto.CommandError) as failed:
            deployed.run("up")
    finally:
        bundle.write_bytes(original)
    assert "workers.auth.bundle.sha256: pins " in str(failed.value)
    assert state_differences(before, comparable_state(deployed)) == []


def test_a_code_change_is_one_update_and_its_revert_uploads_the_pinned_bytes_again(
    deployed: Deployed,
):
    stack_file = deployed.project / STACK_FILE.format(stack=deployed.stack_name)
    bundle = deployed.project / AUTH_BUNDLE
    suffix = "-staging" if deployed.stack_name == "staging" else ""
    before = comparable_state(deployed)
    old_sha = hashlib.sha256(bundle.read_bytes()).hexdigest()
    new_code = bundle.read_bytes() + b"// v2: the same worker, new bytes\n"
    new_sha = hashlib.sha256(new_code).hexdigest()
    bundle.write_bytes(new_code)
    text = stack_file.read_text()
    assert text.count(old_sha) == 1
    stack_file.write_text(text.replace(old_sha, new_sha))
    git(deployed.project, "commit", "-q", "-am", "auth: new bundle")
    auth_script = urn_of(deployed, "cloudflare:index/workersScript:WorkersScript", "auth")

    _, steps = preview(deployed)
    assert steps == [("update", auth_script)]
    deployed.run("up")
    assert deployed.cloud.script(deployed.stack_name, f"auth{suffix}")["content_sha256"] == new_sha

    git(deployed.project, "revert", "--no-edit", "HEAD")
    deployed.run("up")

    assert bundle.read_bytes() != new_code
    assert deployed.cloud.script(deployed.stack_name, f"auth{suffix}")["content_sha256"] == old_sha
    assert state_differences(before, comparable_state(deployed)) == []


def test_refresh_in_a_fresh_process_converges_with_no_changes(deployed: Deployed):
    fresh = select_stack(deployed.cloud, deployed.project, deployed.stack_name)

    refreshed = fresh.refresh(on_output=deployed.log)

    changes = {k: v for k, v in refreshed.summary.resource_changes.items() if k != "same"}
    assert changes == {}
    _, steps = preview(deployed)
    assert steps == []


def test_policy_pack_passes_the_stack_and_blocks_a_plain_text_secret(deployed: Deployed):
    pack = str(deployed.project / "policy")
    result, _ = preview(deployed, policy_packs=[pack])
    assert set(result.change_summary) == {"same"}

    stack_file = deployed.project / STACK_FILE.format(stack=deployed.stack_name)
    original = stack_file.read_text()
    # A credential pasted as a plain-text binding: the pack's secret-binding-not-plain-text.
    stack_file.write_text(original.replace("- name: LOG_LEVEL", "- name: RESEND_API_TOKEN", 1))
    try:
        with pytest.raises(auto.CommandError) as failed:
            deployed.run("preview", policy_packs=[pack])
    finally:
        stack_file.write_text(original)
    assert "secret-binding-not-plain-text" in str(failed.value)


def test_no_secret_reaches_state_outputs_or_logs(deployed: Deployed):
    # Named, never quoted (not even in part), in a failure.
    secrets = {f"config {key}": value for key, value in deployed.canaries.items()}
    secrets |= {
        f"local cloud credential {i}": v for i, v in enumerate(deployed.cloud.secret_values())
    }
    exported = json.dumps(deployed.exported())
    outputs = deployed.cli("stack", "output", "--json")
    logs = [p.read_text(errors="replace") for p in deployed.cloud.logs.glob("*.log")]
    backend = [
        p.read_text(errors="replace") for p in deployed.cloud.backend.rglob("*") if p.is_file()
    ]
    haystacks = {
        "stack export": exported,
        "stack outputs": outputs,
        "engine output": "\n".join(deployed.transcript),
        "emulator logs": "\n".join(logs),
        "backend files": "\n".join(backend),
    }
    assert deployed.transcript, "the engine printed nothing: the check would be vacuous"
    for where, text in haystacks.items():
        leaked = [name for name, value in secrets.items() if value in text]
        assert not leaked, f"{where} holds the secret values of {leaked}"


def test_the_offline_plan_agrees_with_the_engine(deployed: Deployed):
    shown = subprocess.run(
        [
            str(deployed.project / ".venv/bin/python"),
            "-m",
            "plan",
            "show",
            deployed.stack_name,
            "--json",
        ],
        cwd=deployed.project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    plan = json.loads(shown.stdout)
    state = deployed.exported()

    assert len(plan["resources"]) >= 20
    assert differences(plan, state) == []


def test_destroy(deployed: Deployed):
    cloud = deployed.cloud
    before_state = comparable_state(deployed)
    before_cloud = cloud.inventory(deployed.stack_name)
    assert before_cloud["cloudflare"] and before_cloud["postmark_servers"]

    if deployed.stack_name == "prod":
        # As a user types it: the preview refuses, so nothing is deleted. (With
        # --skip-preview the engine would delete the unprotected workers before refusing the
        # protected data; see docs/runbook.md.)
        refused = deployed.cli("destroy", "--yes", expect_failure=True)
        assert "protect" in refused
        assert cloud.inventory(deployed.stack_name) == before_cloud
        assert comparable_state(deployed) == before_state
    else:
        deployed.run("destroy")
        after = cloud.inventory(deployed.stack_name)
        assert after == {"cloudflare": [], "postmark_servers": [], "route53": []}
        assert deployed.exported().get("resources") in (None, [])
