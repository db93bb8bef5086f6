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

from tests.engine.conftest import Deployed, canary
from tests.support.fake_worker import Answer, serve_fake_worker
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


VERSION = "cloudflare:index/workerVersion:WorkerVersion"
DEPLOYMENT = "cloudflare:index/workersDeployment:WorkersDeployment"
REPLACE_STEPS = {"replace", "create-replacement", "delete-replaced"}


def touched(steps: list[tuple[str, str]]) -> dict[str, str]:
    """URN -> what the engine did to it (the three steps of a replacement read as one)."""
    ops: dict[str, set[str]] = {}
    for op, urn in steps:
        ops.setdefault(urn, set()).add(op)
    return {
        urn: "replace" if found & REPLACE_STEPS else "/".join(sorted(found))
        for urn, found in ops.items()
    }


def auth_urns(deployed: Deployed) -> dict[str, str]:
    """Role -> URN of auth's versions, and "deployment" -> its deployment's URN."""
    state = deployed.exported()
    (stack,) = [r for r in state["resources"] if r["type"] == "pulumi:pulumi:Stack"]
    by_key = {
        r["urn"].rsplit("-", 1)[-1]: r["urn"] for r in state["resources"] if r["type"] == VERSION
    }
    urns = {v["role"]: by_key[v["key"]] for v in stack["outputs"]["workers"]["auth"]["versions"]}
    urns["deployment"] = urn_of(deployed, DEPLOYMENT, "auth-deployment")
    return urns


class StackFile:
    """The scratch project's stack file, edited and committed as a pull request would."""

    def __init__(self, deployed: Deployed):
        self.deployed = deployed
        self.path = deployed.project / STACK_FILE.format(stack=deployed.stack_name)
        self.suffix = "-staging" if deployed.stack_name == "staging" else ""

    def commit(self, message: str, edit) -> str:
        text = edit(self.path.read_text())
        self.path.write_text(text)
        git(self.deployed.project, "commit", "-q", "-am", message)
        return git(self.deployed.project, "rev-parse", "HEAD")

    def mail_service(self, worker: str):
        def edit(text: str) -> str:
            text, count = MAIL_SERVICE_LINE.subn(rf"\g<1>{worker}{self.suffix}", text)
            assert count == 1
            return text

        return edit

    def candidate(self, percentage: int):
        block = (
            "      auth:\n"
            "        candidate:\n"
            f"          percentage: {percentage}\n"
            "          bindings:\n"
            "            - name: MAIL_SERVICE\n"
            f"              service: bookmarks-mail-worker{self.suffix}\n"
        )

        def edit(text: str) -> str:
            assert text.count("      auth:\n") == 1 and "candidate:" not in text
            return text.replace("      auth:\n", block, 1)

        return edit


def test_mail_service_rollout_canary_rollback_full_and_promote(deployed: Deployed):
    """The runbook's PR sequence, each step's engine steps and what Cloudflare then serves."""
    cloud, stack, file = deployed.cloud, deployed.stack_name, StackFile(deployed)
    auth = f"auth{file.suffix}"

    # Before: auth calls the legacy cosmos mail worker (a direct repoint: a new version, all
    # traffic to it).
    file.commit("auth: MAIL_SERVICE -> cosmos-mail-worker", file.mail_service("cosmos-mail-worker"))
    deployed.run("up")
    legacy = auth_urns(deployed)
    legacy_state = comparable_state(deployed)
    ((stable, share),) = cloud.live_split(stack, auth)
    assert (
        share == 100
        and binding(stable, "MAIL_SERVICE")["service"] == f"cosmos-mail-worker{file.suffix}"
    )

    # PR 1: a candidate calling bookmarks-mail-worker takes 10%.
    pr1 = file.commit(
        "auth: candidate MAIL_SERVICE -> bookmarks-mail-worker at 10%", file.candidate(10)
    )
    _, steps = preview(deployed)
    deployed.run("up")
    urns = auth_urns(deployed)
    assert touched(steps) == {urns["candidate"]: "create", legacy["deployment"]: "replace"}
    (kept, stable_share), (candidate, candidate_share) = cloud.live_split(stack, auth)
    assert (kept["id"], stable_share, candidate_share) == (stable["id"], 90, 10)
    assert binding(candidate, "MAIL_SERVICE")["service"] == f"bookmarks-mail-worker{file.suffix}"
    assert candidate["annotations"]["workers/tag"] == pr1[:7]
    assert candidate["annotations"]["workers/message"].startswith("auth: candidate MAIL_SERVICE")
    uploaded = len(cloud.versions(stack, auth))
    before_pr1 = without_deployment(legacy_state, legacy["deployment"])

    # Rollback at PR 1: revert it. The deployment goes back to 100% of the stable version,
    # which exists: nothing is uploaded, one resource (the deployment) is replaced, and the
    # candidate leaves the state (a version's delete does nothing in Cloudflare).
    started = time.monotonic()
    git(deployed.project, "revert", "--no-edit", "HEAD")
    _, steps = preview(deployed)
    deployed.run("up")
    seconds = time.monotonic() - started
    assert touched(steps) == {urns["candidate"]: "delete", urns["deployment"]: "replace"}
    assert len(cloud.versions(stack, auth)) == uploaded
    ((live, share),) = cloud.live_split(stack, auth)
    assert (live["id"], share) == (stable["id"], 100)
    after = without_deployment(comparable_state(deployed), urns["deployment"])
    assert state_differences(before_pr1, after) == []  # all but the new deployment's id
    print(f"{stack}: git revert of the candidate to a converged up took {seconds:.1f} s")

    # PR 1 again, then PR 2: the candidate takes all the traffic; only the deployment changes.
    git(deployed.project, "revert", "--no-edit", "HEAD")
    deployed.run("up")
    urns = auth_urns(deployed)
    candidate_id = cloud.live_split(stack, auth)[1][0]["id"]
    file.commit(
        "auth: candidate at 100%", lambda t: t.replace("percentage: 10\n", "percentage: 100\n", 1)
    )
    _, steps = preview(deployed)
    deployed.run("up")
    assert touched(steps) == {urns["deployment"]: "replace"}
    ((live, share),) = cloud.live_split(stack, auth)
    assert (live["id"], share) == (candidate_id, 100)

    # PR 3: promote. The stable version becomes the candidate's own resource: nothing is
    # uploaded or deployed; the old stable version only leaves the state.
    uploaded = len(cloud.versions(stack, auth))
    deployments = len(cloud.deployments(stack, auth))
    file.commit("auth: promote the candidate", promote(file.suffix))
    _, steps = preview(deployed)
    deployed.run("up")
    assert touched(steps) == {urns["stable"]: "delete"}
    assert auth_urns(deployed) == {"stable": urns["candidate"], "deployment": urns["deployment"]}
    assert len(cloud.versions(stack, auth)) == uploaded
    assert len(cloud.deployments(stack, auth)) == deployments
    ((live, share),) = cloud.live_split(stack, auth)
    assert (live["id"], share) == (candidate_id, 100)
    _, steps = preview(deployed)
    assert steps == []


def promote(suffix: str):
    """The candidate's binding into the stable bindings, and no candidate."""

    def edit(text: str) -> str:
        start = text.index("        candidate:\n")
        end = text.index("        bundle:\n", start)
        text = text[:start] + text[end:]
        text, count = MAIL_SERVICE_LINE_LEGACY.subn(rf"\g<1>bookmarks-mail-worker{suffix}", text)
        assert count == 1
        return text

    return edit


MAIL_SERVICE_LINE_LEGACY = re.compile(r"^(\s+service: )cosmos-mail-worker(-staging)?$", re.M)


def without_deployment(state: list[dict], urn: str) -> list[dict]:
    return [r for r in state if r["urn"] != urn]


def binding(version: dict, name: str) -> dict:
    return next(b for b in version["bindings"] if b["name"] == name)


CANDIDATE_LOG_LEVEL = (
    "      auth:\n"
    "        candidate:\n"
    "          percentage: 10\n"
    "          bindings:\n"
    "            - name: LOG_LEVEL\n"
    "              text: trace\n"
)


def test_a_failing_candidate_is_rolled_back_by_the_deploy_script(deployed: Deployed):
    """deploy.yml's verify step (.github/scripts/verify-or-rollback.sh) on the real engine:
    the candidate fails its smoke check, so the deployment goes back to 100% stable."""
    cloud, stack, file = deployed.cloud, deployed.stack_name, StackFile(deployed)
    auth = f"auth{file.suffix}"
    ((stable, _),) = cloud.live_split(stack, auth)
    file.commit(
        "auth: candidate LOG_LEVEL=trace at 10%",
        lambda t: t.replace("      auth:\n", CANDIDATE_LOG_LEVEL, 1),
    )
    deployed.run("up")
    (_, _), (candidate, _) = cloud.live_split(stack, auth)
    uploaded = len(cloud.versions(stack, auth))

    with serve_fake_worker() as fake:
        fake.answers["/health"] = [Answer(200, '{"ok":true}')]
        fake.by_override[f'{auth}="{candidate["id"]}"'] = Answer(500, "candidate broken")
        done = subprocess.run(
            [".github/scripts/verify-or-rollback.sh", stack],
            cwd=deployed.project,
            env={
                **cloud.env(),
                "WORKER_URLS": f"auth={fake.url}",
                "RUNNER_TEMP": str(deployed.project.parent),
                "GITHUB_STEP_SUMMARY": str(deployed.project.parent / "summary.md"),
            },
            capture_output=True,
            text=True,
            check=False,
        )
    deployed.transcript += [done.stdout, done.stderr]

    assert done.returncode == 1, done.stderr[-2000:]
    assert "::error::" in done.stdout and "auth (candidate) GET /health" in done.stdout
    assert "Rolled back" in done.stdout
    assert "candidate:" not in file.path.read_text()
    ((live, share),) = cloud.live_split(stack, auth)
    assert (live["id"], share) == (stable["id"], 100)
    assert len(cloud.versions(stack, auth)) == uploaded  # nothing uploaded by the rollback

    # main would now be reverted; here: the same, so the next tests start from a clean stack.
    git(deployed.project, "checkout", "--", file.path.name)
    git(deployed.project, "revert", "--no-edit", "HEAD")
    deployed.run("up")
    _, steps = preview(deployed)
    assert steps == []


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


def test_a_code_change_is_a_new_version_and_its_revert_deploys_the_pinned_bytes_again(
    deployed: Deployed,
):
    stack_file = deployed.project / STACK_FILE.format(stack=deployed.stack_name)
    bundle = deployed.project / AUTH_BUNDLE
    auth = f"auth{'-staging' if deployed.stack_name == 'staging' else ''}"
    before = auth_urns(deployed)
    old_sha = hashlib.sha256(bundle.read_bytes()).hexdigest()
    new_code = bundle.read_bytes() + b"// v2: the same worker, new bytes\n"
    new_sha = hashlib.sha256(new_code).hexdigest()
    bundle.write_bytes(new_code)
    text = stack_file.read_text()
    assert text.count(old_sha) == 1
    stack_file.write_text(text.replace(old_sha, new_sha))
    git(deployed.project, "commit", "-q", "-am", "auth: new bundle")

    _, steps = preview(deployed)
    deployed.run("up")
    after = auth_urns(deployed)
    # Versions are immutable: the new code is a new version, the old one leaves the state.
    assert touched(steps) == {
        after["stable"]: "create",
        before["stable"]: "delete",
        before["deployment"]: "replace",
    }
    ((live, _),) = deployed.cloud.live_split(deployed.stack_name, auth)
    assert live["modules"][0]["sha256"] == new_sha

    git(deployed.project, "revert", "--no-edit", "HEAD")
    deployed.run("up")

    assert bundle.read_bytes() != new_code
    ((live, _),) = deployed.cloud.live_split(deployed.stack_name, auth)
    assert live["modules"][0]["sha256"] == old_sha
    assert auth_urns(deployed).keys() == before.keys()
    _, steps = preview(deployed)
    assert steps == []


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


def test_a_secret_set_inside_the_platform_object_is_refused_and_never_shown(deployed: Deployed):
    """A stack file is data to the credentialed PR preview; a secure value moved inside the
    platform object would be decrypted by the CLI and read as plain text (a text binding the
    preview prints). The program refuses it before registering anything."""
    stack_file = deployed.project / STACK_FILE.format(stack=deployed.stack_name)
    original = stack_file.read_text()
    value = canary("nested")
    deployed.canaries["nested"] = value  # the leak check below looks for it too
    path = "edge-platform:platform.workers.auth.bindings[1].text"
    deployed.cli("config", "set", "--path", "--secret", path, value)
    try:
        assert "secure:" in stack_file.read_text()
        with pytest.raises(auto.CommandError) as failed:
            deployed.run("preview")
    finally:
        stack_file.write_text(original)
    assert "edge-platform:platform: holds a secure value" in str(failed.value)
    assert value not in str(failed.value)


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
