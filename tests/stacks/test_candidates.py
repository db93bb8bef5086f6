"""A candidate version next to the stable one: the traffic split it makes, promoting it, and the
config mistakes refused before anything is planned (each at its key path)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from plan.manifest import Manifest, Resource
from stacks.errors import ConfigError
from stacks.loader import ConfigKey, load
from tests.support.project import binding, evaluate_project, find, platform_of, write_project

STACK = "staging"
VERSION = "workerVersion:WorkerVersion"
DEPLOYMENT = "workersDeployment:WorkersDeployment"
SET_AS_SECRET = ConfigKey(present=True, secret=True)
CANDIDATE_CODE = b"export default { fetch() { return new Response('auth candidate') } }\n"
CANDIDATE_SHA = hashlib.sha256(CANDIDATE_CODE).hexdigest()
REPOINT = {"name": "MAIL_SERVICE", "service": "cosmos-mail-worker-staging"}
"""The canary this platform rolls out: auth's mail service moved to the legacy worker."""


def with_candidate(candidate: dict[str, Any] | None) -> dict[str, Any]:
    p = platform_of(STACK)
    if candidate is not None:
        p["workers"]["auth"]["candidate"] = candidate
    return p


def evaluate(tmp_path: Path, platform: dict[str, Any], *, candidate_bundle: bool = False):
    """The stack of `platform` under the mock engine (bundles written into `tmp_path`)."""
    write_project(tmp_path, STACK, platform)
    if candidate_bundle:
        (tmp_path / "bundles").mkdir(exist_ok=True)
        (tmp_path / "bundles/auth-candidate.js").write_bytes(CANDIDATE_CODE)
        platform["workers"]["auth"]["candidate"]["bundle"] = {
            "path": "bundles/auth-candidate.js",
            "sha256": CANDIDATE_SHA,
        }
        write_project(tmp_path, STACK, platform, bundles=False)
    return evaluate_project(tmp_path, STACK)


def versions_of(manifest: Manifest, worker: str = "auth") -> dict[str, dict[str, Any]]:
    """The stack output `workers.<worker>.versions`, by role."""
    return {v["role"]: v for v in manifest.outputs["workers"][worker]["versions"]}


def declared_versions(manifest: Manifest, worker: str = "auth") -> list[Resource]:
    """Every WorkerVersion of `worker` (children of its component), whatever its traffic."""
    return [
        r
        for r in manifest.resources
        if r.custom
        and r.type.endswith(VERSION)
        and r.parent.endswith(f"edge:cloudflare:Worker::{worker}")
    ]


def version(manifest: Manifest, role: str, worker: str = "auth") -> Resource:
    return find(manifest, VERSION, f"{worker}-version-{versions_of(manifest, worker)[role]['key']}")


def deployment(manifest: Manifest, worker: str = "auth") -> Resource:
    [found] = [
        r
        for r in manifest.resources
        if r.custom
        and r.type.endswith(DEPLOYMENT)
        and r.parent.endswith(f"edge:cloudflare:Worker::{worker}")
    ]
    return found


def split(manifest: Manifest, worker: str = "auth") -> list[tuple[str, float]]:
    """The deployment's versions as (version resource name, percentage)."""
    return [
        (v["versionId"].removeprefix("<").removesuffix(".id>"), v["percentage"])
        for v in deployment(manifest, worker).inputs["versions"]
    ]


# --- the traffic split ---------------------------------------------------------------------------


def test_a_candidate_at_10_percent_splits_90_10_between_two_versions(tmp_path):
    alone = evaluate(tmp_path / "alone", with_candidate(None))
    manifest = evaluate(
        tmp_path / "canary", with_candidate({"percentage": 10, "bindings": [REPOINT]})
    )

    stable, candidate = version(manifest, "stable"), version(manifest, "candidate")
    assert sorted(r.name for r in declared_versions(manifest)) == sorted(
        [stable.name, candidate.name]
    )
    assert stable.name != candidate.name
    deployed = deployment(manifest)
    assert deployed.inputs["strategy"] == "percentage"
    assert deployed.inputs["scriptName"] == "auth-staging"
    assert split(manifest) == [(stable.name, 90), (candidate.name, 10)]
    assert {stable.urn, candidate.urn} <= set(deployed.dependencies)

    # The candidate is the stable version with MAIL_SERVICE repointed, the rest kept.
    assert binding(candidate, "MAIL_SERVICE")["service"] == "cosmos-mail-worker-staging"
    assert binding(candidate, "LOG_LEVEL") == binding(stable, "LOG_LEVEL")
    assert candidate.inputs["modules"] == stable.inputs["modules"]  # same bundle
    # Declaring a candidate leaves the stable version exactly as it was.
    assert stable == version(alone, "stable")
    assert split(alone) == [(stable.name, 100)]

    outputs = versions_of(manifest)
    assert (outputs["stable"]["percentage"], outputs["candidate"]["percentage"]) == (90, 10)
    assert outputs["candidate"]["id"] == f"<{candidate.name}.id>"
    assert "candidateBundle" not in manifest.outputs["workers"]["auth"]  # it has no bundle


def test_a_candidate_with_its_own_bundle_uploads_it_and_outputs_its_pin(tmp_path):
    manifest = evaluate(tmp_path, with_candidate({"percentage": 25}), candidate_bundle=True)

    stable, candidate = version(manifest, "stable"), version(manifest, "candidate")
    assert [m["contentFile"] for m in candidate.inputs["modules"]] == ["bundles/auth-candidate.js"]
    assert stable.inputs["bindings"] == candidate.inputs["bindings"]
    assert split(manifest) == [(stable.name, 75), (candidate.name, 25)]
    assert versions_of(manifest)["candidate"]["sha256"] == CANDIDATE_SHA
    assert manifest.outputs["workers"]["auth"]["candidateBundle"] == {
        "path": "bundles/auth-candidate.js",
        "sha256": CANDIDATE_SHA,
    }
    assert manifest.outputs["workers"]["auth"]["bundle"]["sha256"] != CANDIDATE_SHA


def test_at_100_percent_the_stable_version_is_out_of_the_deployment_but_still_declared(tmp_path):
    manifest = evaluate(tmp_path, with_candidate({"percentage": 100, "bindings": [REPOINT]}))

    stable, candidate = version(manifest, "stable"), version(manifest, "candidate")
    assert len(declared_versions(manifest)) == 2
    assert split(manifest) == [(candidate.name, 100)]
    assert versions_of(manifest)["stable"]["percentage"] == 0
    assert stable.name in {r.name for r in declared_versions(manifest)}


def test_at_0_percent_the_candidate_is_uploaded_but_out_of_the_deployment(tmp_path):
    manifest = evaluate(tmp_path, with_candidate({"percentage": 0, "bindings": [REPOINT]}))

    stable, candidate = version(manifest, "stable"), version(manifest, "candidate")
    assert {r.name for r in declared_versions(manifest)} == {stable.name, candidate.name}
    assert split(manifest) == [(stable.name, 100)]
    assert versions_of(manifest)["candidate"]["percentage"] == 0


def test_a_split_with_decimals_is_deployed_as_declared(tmp_path):
    manifest = evaluate(tmp_path, with_candidate({"percentage": 12.5, "bindings": [REPOINT]}))
    assert [share for _name, share in split(manifest)] == [87.5, 12.5]


# --- promotion -----------------------------------------------------------------------------------


@pytest.mark.parametrize("own_bundle", [False, True], ids=["bindings", "bundle-and-bindings"])
def test_promoting_a_candidate_keeps_its_version(tmp_path, own_bundle):
    canary = with_candidate({"percentage": 10, "bindings": [REPOINT]})
    before = evaluate(tmp_path / "canary", canary, candidate_bundle=own_bundle)
    candidate = version(before, "candidate")

    # Promote: the candidate's settings move into the worker, and `candidate` goes.
    promoted = platform_of(STACK)
    auth = promoted["workers"]["auth"]
    auth["bindings"] = [REPOINT if b["name"] == "MAIL_SERVICE" else b for b in auth["bindings"]]
    root = tmp_path / "promoted"
    write_project(root, STACK, promoted)
    if own_bundle:
        (root / "bundles").mkdir(exist_ok=True)
        (root / "bundles/auth-candidate.js").write_bytes(CANDIDATE_CODE)
        auth["bundle"] = {"path": "bundles/auth-candidate.js", "sha256": CANDIDATE_SHA}
        write_project(root, STACK, promoted, bundles=False)
    after = evaluate_project(root, STACK)

    stable = version(after, "stable")
    assert stable.urn == candidate.urn  # the same resource: nothing new is uploaded
    assert stable.inputs == candidate.inputs
    assert versions_of(after)["stable"]["key"] == versions_of(before)["candidate"]["key"]
    assert [r.name for r in declared_versions(after)] == [candidate.name]
    assert split(after) == [(candidate.name, 100)]
    assert "candidateBundle" not in after.outputs["workers"]["auth"]


def test_binding_order_does_not_change_a_versions_key(tmp_path):
    p = with_candidate({"percentage": 10, "bindings": [REPOINT]})
    reordered = with_candidate({"percentage": 10, "bindings": [REPOINT]})
    reordered["workers"]["auth"]["bindings"].reverse()
    first = versions_of(evaluate(tmp_path / "a", p))
    second = versions_of(evaluate(tmp_path / "b", reordered))
    assert {r: v["key"] for r, v in first.items()} == {r: v["key"] for r, v in second.items()}


# --- config mistakes -----------------------------------------------------------------------------


def problems(platform: dict[str, Any], *, project_dir: Path | None = None, keys=None) -> list[str]:
    try:
        load(
            STACK,
            platform,
            project_dir=project_dir or Path("/nonexistent"),
            config_key=keys or (lambda _key: SET_AS_SECRET),
            missing_bundles="unknown",
        )
    except ConfigError as err:
        return [str(p) for p in err.problems]
    return []


def at(found: list[str], path: str) -> str:
    """The one problem at `path` (a key path under the platform)."""
    matching = [p for p in found if p.startswith(f"edge-platform:platform.{path}: ")]
    assert len(matching) == 1, f"expected one problem at {path}; got {found}"
    return matching[0]


def test_a_valid_candidate_is_accepted():
    assert problems(with_candidate({"percentage": 12.34, "bindings": [REPOINT]})) == []


@pytest.mark.parametrize(
    ("percentage", "expected"),
    [
        (-1, "must be greater than or equal to 0 (got the number -1)"),
        (101, "must be less than or equal to 100 (got the number 101)"),
        (12.345, "12.345 has more than two decimals; Cloudflare splits by 0.01%"),
        (True, "True is not a number; give a percentage from 0 to 100 (e.g. 10)"),
        ("ten", "'ten' is not a number; give a percentage from 0 to 100 (e.g. 10)"),
    ],
)
def test_a_percentage_outside_cloudflares_split_is_refused(percentage, expected):
    found = problems(with_candidate({"percentage": percentage, "bindings": [REPOINT]}))
    assert found == [f"edge-platform:platform.workers.auth.candidate.percentage: {expected}"]


def test_a_candidate_needs_a_percentage():
    found = problems(with_candidate({"bindings": [REPOINT]}))
    assert "required key is missing" in at(found, "workers.auth.candidate.percentage")


@pytest.mark.parametrize("key", ["scriptName", "name"])
def test_a_candidate_cannot_rename_the_script(key):
    found = problems(with_candidate({"percentage": 10, "bindings": [REPOINT], key: "auth-v2"}))
    message = at(found, "workers.auth.candidate")
    assert f"`{key}` cannot be set on a candidate" in message
    assert "declare a new worker" in message


def test_removing_a_binding_the_stable_version_lacks_is_refused():
    found = problems(
        with_candidate({"percentage": 10, "bindings": [REPOINT], "removeBindings": ["AUDIT_LOG"]})
    )
    assert found == [
        "edge-platform:platform.workers.auth.candidate.removeBindings[0]: 'AUDIT_LOG' is not a "
        "binding of the stable version (its bindings: LOG_LEVEL, MAIL_SERVICE); nothing to remove"
    ]


def test_removing_a_binding_is_accepted_and_leaves_it_out_of_the_candidate(tmp_path):
    p = with_candidate({"percentage": 10, "removeBindings": ["LOG_LEVEL"]})
    assert problems(p) == []
    manifest = evaluate(tmp_path, p)
    names = [b["name"] for b in version(manifest, "candidate").inputs["bindings"]]
    assert names == ["MAIL_SERVICE"]
    assert [b["name"] for b in version(manifest, "stable").inputs["bindings"]] == [
        "LOG_LEVEL",
        "MAIL_SERVICE",
    ]


def test_removing_and_setting_the_same_binding_is_refused():
    found = problems(
        with_candidate(
            {
                "percentage": 10,
                "bindings": [{"name": "LOG_LEVEL", "text": "info"}],
                "removeBindings": ["LOG_LEVEL"],
            }
        )
    )
    assert found == [
        "edge-platform:platform.workers.auth.candidate.removeBindings[0]: 'LOG_LEVEL' is both "
        "removed and set in `workers.auth.candidate.bindings`; keep one"
    ]


@pytest.mark.parametrize(
    "candidate",
    [
        {"percentage": 10},
        {"percentage": 10, "bindings": [{"name": "LOG_LEVEL", "text": "debug"}]},  # as stable
        {"percentage": 10, "bundle": "stable"},  # the stable bundle's own pin
    ],
    ids=["nothing", "same-bindings", "same-bundle"],
)
def test_a_candidate_identical_to_the_stable_version_is_refused(candidate):
    p = with_candidate(candidate)
    if candidate.get("bundle") == "stable":
        candidate["bundle"] = dict(p["workers"]["auth"]["bundle"])
    found = problems(p)
    assert found == [
        "edge-platform:platform.workers.auth.candidate: is the same version as the stable one "
        "(same bundle, same bindings); give it a `bundle`, `bindings` or `removeBindings` that "
        "differ, or delete `candidate`"
    ]


def test_a_candidate_binding_to_an_undeclared_service_is_refused():
    found = problems(
        with_candidate(
            {"percentage": 10, "bindings": [{"name": "BILLING", "service": "billing-staging"}]}
        )
    )
    message = at(found, "workers.auth.candidate.bindings[0].service")
    assert "service 'billing-staging' is neither declared under `workers`" in message
    assert 'Cloudflare: "Could not resolve service binding"' in message
    assert "bookmarks-mail-worker-staging" in message  # lists what it could be


def test_a_candidate_binding_is_checked_like_the_workers_own(tmp_path):
    found = problems(
        with_candidate({"percentage": 10, "bindings": [{"name": "OUTBOX", "queue": "nope"}]})
    )
    assert "queue 'nope' is not declared" in at(found, "workers.auth.candidate.bindings[0].queue")


def test_a_candidate_bundle_that_does_not_match_its_pin_is_refused(tmp_path):
    p = with_candidate({"percentage": 10})
    write_project(tmp_path, STACK, p)
    (tmp_path / "bundles").mkdir(exist_ok=True)
    (tmp_path / "bundles/auth-candidate.js").write_bytes(CANDIDATE_CODE + b"// edited\n")
    p["workers"]["auth"]["candidate"]["bundle"] = {
        "path": "bundles/auth-candidate.js",
        "sha256": CANDIDATE_SHA,
    }
    found = problems(p, project_dir=tmp_path)
    message = at(found, "workers.auth.candidate.bundle.sha256")
    assert f"pins {CANDIDATE_SHA[:12]}…" in message
    assert "'bundles/auth-candidate.js' on disk is" in message
    assert len(found) == 1  # the stable bundle matches its pin


def test_a_candidate_bundle_pinned_right_loads_under_its_own_key(tmp_path):
    p = with_candidate({"percentage": 10})
    write_project(tmp_path, STACK, p)
    (tmp_path / "bundles").mkdir(exist_ok=True)
    (tmp_path / "bundles/auth-candidate.js").write_bytes(CANDIDATE_CODE)
    p["workers"]["auth"]["candidate"]["bundle"] = {
        "path": "bundles/auth-candidate.js",
        "sha256": CANDIDATE_SHA,
    }
    loaded = load(
        STACK,
        p,
        project_dir=tmp_path,
        config_key=lambda _key: SET_AS_SECRET,
        missing_bundles="error",
    )
    bundle = loaded.bundles["auth.candidate"]
    assert (bundle.sha256, bundle.content_file) == (CANDIDATE_SHA, "bundles/auth-candidate.js")
    assert bundle.where == "workers.auth.candidate.bundle"


SIGNING = {"name": "SIGNING_KEY", "secretText": "authSigningKey"}


def test_a_candidates_secret_text_key_must_be_set_and_secret():
    path = "workers.auth.candidate.bindings[0].secretText"
    unset = problems(
        with_candidate({"percentage": 10, "bindings": [SIGNING]}),
        keys=lambda key: ConfigKey(present=key != "authSigningKey", secret=True),
    )
    assert "config key 'authSigningKey' is not set" in at(unset, path)
    plain = problems(
        with_candidate({"percentage": 10, "bindings": [SIGNING]}),
        keys=lambda key: ConfigKey(present=True, secret=key != "authSigningKey"),
    )
    assert "config key 'authSigningKey' is stored in plain text" in at(plain, path)


def test_a_candidates_unset_secret_text_plans_as_an_unknown_secret(tmp_path):
    # The offline plan accepts a secret config key not set yet (as for the worker's own
    # bindings): the candidate's value is a secret, and the plan does not stop.
    manifest = evaluate(tmp_path, with_candidate({"percentage": 10, "bindings": [SIGNING]}))
    candidate = version(manifest, "candidate")
    assert binding(candidate, "SIGNING_KEY")["type"] == "secret_text"
    assert candidate.secret_inputs == ["bindings[SIGNING_KEY].text"]
    assert "SIGNING_KEY" not in {b["name"] for b in version(manifest, "stable").inputs["bindings"]}


def test_a_candidate_calling_a_declared_worker_waits_for_its_deployment(tmp_path):
    # Stable auth calls the external legacy worker; only the candidate calls the declared one,
    # so only the candidate orders auth after bookmarks-mail-worker ("Could not resolve service
    # binding" if its version were uploaded first).
    platform = with_candidate(
        {
            "percentage": 10,
            "bindings": [{"name": "MAIL_SERVICE", "service": "bookmarks-mail-worker-staging"}],
        }
    )
    for entry in platform["workers"]["auth"]["bindings"]:
        if entry["name"] == "MAIL_SERVICE":
            entry["service"] = "cosmos-mail-worker-staging"
    manifest = evaluate(tmp_path, platform)

    target = deployment(manifest, "bookmarks-mail-worker").urn
    assert target in version(manifest, "candidate").dependencies
    assert target not in version(manifest, "stable").dependencies
