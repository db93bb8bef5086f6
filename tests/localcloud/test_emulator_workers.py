"""The newer Workers API over HTTP: a Worker, immutable versions, and deployments that split
traffic across one or two of its versions."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from tests.localcloud.harness import ACCOUNT_ID, Emulator, module_js, unique

A = f"/accounts/{ACCOUNT_ID}"


def version_body(code: bytes, **extra) -> dict:
    module = {"name": "index.js", "content_type": "application/javascript+module",
              "content_base64": base64.b64encode(code).decode()}  # fmt: skip
    return {"main_module": "index.js", "compatibility_date": "2025-09-01", "modules": [module],
            **extra}  # fmt: skip


@pytest.fixture
def worker(emulator: Emulator) -> dict:
    return emulator.ok("POST", f"{A}/workers/workers", json={"name": unique("api")})


def test_a_worker_has_a_32_hex_id_and_answers_by_id_or_name(emulator: Emulator, worker):
    assert re.fullmatch(r"[0-9a-f]{32}", worker["id"])
    assert emulator.ok("GET", f"{A}/workers/workers/{worker['name']}")["id"] == worker["id"]


def test_versions_are_numbered_and_keep_their_module_hash(emulator: Emulator, worker):
    path = f"{A}/workers/workers/{worker['id']}/versions"
    first = emulator.ok("POST", path, json=version_body(module_js()))
    second = emulator.ok("POST", path, json=version_body(module_js() + b"//2"))
    assert (first["number"], second["number"]) == (1, 2)
    assert first["modules"][0]["sha256"] == hashlib.sha256(module_js()).hexdigest()
    assert emulator.ok("GET", f"{path}/{first['id']}")["id"] == first["id"]


def test_a_version_binding_is_resolved_like_an_upload(emulator: Emulator, worker):
    bindings = [{"name": "MAIL", "type": "service", "service": "no-such-worker"}]
    _, error = emulator.refused(
        "POST",
        f"{A}/workers/workers/{worker['id']}/versions",
        json=version_body(module_js(), bindings=bindings),
    )
    assert error["code"] == 10143


def test_a_deployment_splits_traffic_across_two_versions(emulator: Emulator, worker):
    path = f"{A}/workers/workers/{worker['id']}/versions"
    old = emulator.ok("POST", path, json=version_body(module_js()))
    new = emulator.ok("POST", path, json=version_body(module_js() + b"//2"))
    split = [{"version_id": old["id"], "percentage": 90},
             {"version_id": new["id"], "percentage": 10}]  # fmt: skip
    deployments = f"{A}/workers/scripts/{worker['name']}/deployments"
    deployment = emulator.ok("POST", deployments, json={"strategy": "percentage",
                                                        "versions": split})  # fmt: skip
    assert deployment["versions"] == split
    listed = emulator.ok("GET", deployments)["deployments"]
    assert listed[0]["id"] == deployment["id"]
    status, _ = emulator.refused("DELETE", f"{deployments}/{deployment['id']}")
    assert status == 409  # the active deployment stays


@pytest.mark.parametrize(
    "split",
    [
        [("a", 60), ("b", 30)],  # does not add up to 100
        [("a", 100), ("a", 0.01)],  # one version twice / over 100
        [("a", 34), ("b", 33), ("b", 33)],  # three versions
        [("a", 0), ("b", 100)],  # below the 0.01 minimum
    ],
    ids=["sum", "twice", "three", "zero"],
)
def test_a_split_cloudflare_would_refuse_is_refused(emulator: Emulator, worker, split):
    path = f"{A}/workers/workers/{worker['id']}/versions"
    ids = {key: emulator.ok("POST", path, json=version_body(module_js()))["id"] for key in "ab"}
    versions = [{"version_id": ids[key], "percentage": pct} for key, pct in split]
    status, _ = emulator.refused(
        "POST",
        f"{A}/workers/scripts/{worker['name']}/deployments",
        json={"strategy": "percentage", "versions": versions},
    )
    assert status == 400


def test_a_deployment_of_another_workers_version_is_refused(emulator: Emulator, worker):
    other = emulator.ok("POST", f"{A}/workers/workers", json={"name": unique("other")})
    foreign = emulator.ok(
        "POST", f"{A}/workers/workers/{other['id']}/versions", json=version_body(module_js())
    )
    status, _ = emulator.refused(
        "POST",
        f"{A}/workers/scripts/{worker['name']}/deployments",
        json={"strategy": "percentage",
              "versions": [{"version_id": foreign["id"], "percentage": 100}]},
    )  # fmt: skip
    assert status == 404


def test_a_worker_and_an_uploaded_script_share_one_namespace_of_names(emulator: Emulator):
    name = unique("shared")
    emulator.upload(name)
    _, error = emulator.refused("POST", f"{A}/workers/workers", json={"name": name})
    assert error["code"] == 10034
    bound = emulator.upload(
        unique("caller"), bindings=[{"name": "S", "type": "service", "service": name}]
    )
    assert bound["bindings"][0]["service"] == name


def test_renaming_a_worker_keeps_its_id_and_frees_the_old_name(emulator: Emulator, worker):
    renamed = emulator.ok(
        "PUT", f"{A}/workers/workers/{worker['id']}", json={"name": worker["name"] + "-2"}
    )
    assert renamed["id"] == worker["id"] and renamed["name"] == worker["name"] + "-2"
    emulator.ok("POST", f"{A}/workers/workers", json={"name": worker["name"]})
