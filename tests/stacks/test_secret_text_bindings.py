"""A secret_text binding keeps its value secret without hiding the worker's other bindings."""

import json

import yaml

from plan.checks import check_manifest
from plan.diff.classify import diff_manifests
from plan.manifest import SECRET
from plan.stackfile import STAND_IN_PREFIX
from tests.support.project import binding, evaluate_project, find, platform_of, write_project

VERSION = "workerVersion:WorkerVersion"
DEPLOYMENT = "workersDeployment:WorkersDeployment"


def auth_version(manifest):
    """The auth worker's (one, stable) WorkerVersion."""
    [stable] = manifest.outputs["workers"]["auth"]["versions"]
    return find(manifest, VERSION, f"auth-version-{stable['key']}")


def with_signing_key(tmp_path, *, ciphertext="v1:first", service="bookmarks-mail-worker", extra=()):
    p = platform_of("prod")
    auth = p["workers"]["auth"]["bindings"]
    auth[0]["service"] = service
    auth.append({"name": "SIGNING_KEY", "secretText": "authSigningKey"})
    auth.extend(extra)
    root = write_project(
        tmp_path, "prod", p, extra_config={"edge-platform:authSigningKey": {"secure": ciphertext}}
    )
    return evaluate_project(root, "prod")


def test_only_the_secret_text_is_masked(tmp_path):
    manifest = with_signing_key(tmp_path)
    auth = auth_version(manifest)
    assert binding(auth, "SIGNING_KEY")["text"] == SECRET
    assert binding(auth, "MAIL_SERVICE")["service"] == "bookmarks-mail-worker"
    assert auth.secret_inputs == ["bindings[SIGNING_KEY].text"]
    assert STAND_IN_PREFIX not in json.dumps(manifest.to_json())


def test_a_repoint_stays_visible_and_a_rotation_reads_secret_changed(tmp_path):
    before = with_signing_key(tmp_path / "a")
    after = with_signing_key(tmp_path / "b", ciphertext="v1:rotated", service="cosmos-mail-worker")
    changes, _outputs = diff_manifests(before, after)
    # The binding is part of the version: a new version replaces the old one (property by
    # property), and the deployment moves the traffic to it. Nothing else changes.
    by_type = {c.type.rsplit(":", 1)[-1]: c for c in changes}
    assert sorted(by_type) == ["WorkerVersion", "WorkersDeployment"] and len(changes) == 2
    change = by_type["WorkerVersion"]
    assert change.op == "replace"
    assert change.old_urn == auth_version(before).urn and change.urn == auth_version(after).urn
    assert [p.path for p in by_type["WorkersDeployment"].properties] == ["versions"]
    paths = {p.path: p for p in change.properties}
    assert set(paths) == {"bindings[MAIL_SERVICE].service", "bindings[SIGNING_KEY].text"}
    assert paths["bindings[MAIL_SERVICE].service"].new == "cosmos-mail-worker"
    secret = paths["bindings[SIGNING_KEY].text"]
    assert secret.secret and (secret.old, secret.new) == (SECRET, SECRET)


def test_policies_still_see_the_bindings(tmp_path):
    manifest = with_signing_key(tmp_path, extra=[{"name": "API_TOKEN", "text": "plain"}])
    assert [v.rule for v in check_manifest(manifest)] == ["secret-binding-not-plain-text"]


def test_the_stack_file_fixture_is_what_the_test_thinks(tmp_path):
    with_signing_key(tmp_path)
    data = yaml.safe_load((tmp_path / "Pulumi.prod.yaml").read_text())
    assert data["config"]["edge-platform:authSigningKey"] == {"secure": "v1:first"}
