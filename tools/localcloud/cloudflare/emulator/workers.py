"""The newer Workers API: a Worker, its immutable versions, and deployments that split traffic.

A Worker is the same thing as a script (one namespace of names), so service bindings and queue
consumers resolve Workers created here and scripts uploaded whole alike.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from tools.localcloud.cloudflare.emulator import bindings, errors, fields
from tools.localcloud.cloudflare.emulator.routing import Reply, Request, Router
from tools.localcloud.cloudflare.emulator.scripts import (
    check_script_name,
    delete_script,
    new_script,
    script_of,
)
from tools.localcloud.cloudflare.emulator.state import Account, lookup, now, uuid_id

WORKERS = "/accounts/{account_id}/workers/workers"
VERSIONS = WORKERS + "/{worker_id}/versions"
DEPLOYMENTS = "/accounts/{account_id}/workers/scripts/{script_name}/deployments"
WORKER_SETTINGS = ("logpush", "observability", "subdomain", "tags", "tail_consumers")
WORKER_DEFAULTS: dict[str, Any] = {
    "logpush": False,
    "observability": {"enabled": False},
    "subdomain": {"enabled": False, "previews_enabled": False},
    "tags": [],
    "tail_consumers": [],
}
VERSION_SETTINGS = (
    "compatibility_date",
    "compatibility_flags",
    "usage_model",
    "limits",
    "placement",
    "migrations",
    "assets",
    "containers",
    "cache_options",
)


def register(router: Router) -> None:
    router.route("POST", WORKERS)(create_worker)
    router.route("GET", WORKERS)(list_workers)
    router.route("GET", WORKERS + "/{worker_id}")(get_worker)
    router.route("PUT", WORKERS + "/{worker_id}")(update_worker)
    router.route("PATCH", WORKERS + "/{worker_id}")(update_worker)
    router.route("DELETE", WORKERS + "/{worker_id}")(delete_worker)
    router.route("POST", VERSIONS)(create_version)
    router.route("GET", VERSIONS)(list_versions)
    router.route("GET", VERSIONS + "/{version_id}")(get_version)
    router.route("POST", DEPLOYMENTS)(create_deployment)
    router.route("GET", DEPLOYMENTS)(list_deployments)
    router.route("GET", DEPLOYMENTS + "/{deployment_id}")(get_deployment)
    router.route("DELETE", DEPLOYMENTS + "/{deployment_id}")(delete_deployment)


# -- workers ----------------------------------------------------------------------------------


def _worker(account: Account, worker_id: str) -> dict:
    script = account.script_by_worker_id(worker_id)
    if script is None:
        raise errors.not_found("worker", worker_id, code=10007)
    return script


def _view(account: Account, script: dict) -> dict:
    name = script["id"]
    return {
        "id": script["tag"],
        "name": name,
        **{k: script.get(k, WORKER_DEFAULTS[k]) for k in WORKER_SETTINGS},
        "created_on": script["created_on"],
        "updated_on": script.get("updated_on", script["modified_on"]),
        "deployed_on": script.get("deployed_on"),
        "references": {
            "domains": [
                {
                    "id": d["id"],
                    "hostname": d["hostname"],
                    "zone_id": d["zone_id"],
                    "zone_name": d["zone_name"],
                    "certificate_id": d["cert_id"],
                }
                for d in account.custom_domains.values()
                if d["service"] == name
            ],
            "queues": [
                {
                    "queue_id": c["queue_id"],
                    "queue_name": c["queue_name"],
                    "queue_consumer_id": c["consumer_id"],
                }
                for c in account.consumers.values()
                if c.get("script") == name
            ],
            "workers": [
                {"id": s["tag"], "name": s["id"]}
                for s in account.scripts.values()
                if any(
                    b.get("type") == "service" and b.get("service") == name
                    for b in s.get("bindings", [])
                )
            ],
            "dispatch_namespace_outbounds": [],
            "durable_objects": [],
        },
    }


def _settings(body: dict[str, Any], current: dict[str, Any], replace: bool) -> dict[str, Any]:
    base = (
        dict(WORKER_DEFAULTS)
        if replace
        else {k: current.get(k, WORKER_DEFAULTS[k]) for k in WORKER_SETTINGS}
    )
    base.update(fields.pick(body, *WORKER_SETTINGS))
    return base


def create_worker(request: Request, account: Account) -> Reply:
    body = request.json_object()
    name = fields.required_str(body, "name")
    check_script_name(name)
    if name in account.scripts:
        raise errors.name_exists("worker", name, code=10034)
    script = new_script(name)
    script.update(_settings(body, {}, replace=True), updated_on=script["created_on"])
    account.scripts[name] = script
    return 200, _view(account, script)


def list_workers(request: Request, account: Account) -> Reply:
    return 200, [_view(account, s) for s in account.scripts.values()]


def get_worker(request: Request, account: Account, worker_id: str) -> Reply:
    return 200, _view(account, _worker(account, worker_id))


def update_worker(request: Request, account: Account, worker_id: str) -> Reply:
    script = _worker(account, worker_id)
    body = request.json_object()
    name = (
        fields.required_str(body, "name")
        if request.method == "PUT"
        else body.get("name", script["id"])
    )
    if name != script["id"]:
        check_script_name(name)
        if name in account.scripts:
            raise errors.name_exists("worker", name, code=10034)
        del account.scripts[script["id"]]
        script["id"] = name
        account.scripts[name] = script
    script.update(_settings(body, script, replace=request.method == "PUT"), updated_on=now())
    return 200, _view(account, script)


def delete_worker(request: Request, account: Account, worker_id: str) -> Reply:
    return delete_script(request, account, _worker(account, worker_id)["id"])


# -- versions ---------------------------------------------------------------------------------


def _modules(body: dict[str, Any]) -> list[dict[str, Any]]:
    modules = body.get("modules")
    if not isinstance(modules, list) or not modules:
        raise errors.bad_request("a version needs at least one module")
    decoded = []
    for module in modules:
        if not isinstance(module, dict):
            raise errors.bad_request("each module must be an object")
        name = fields.required_str(module, "name")
        content_type = fields.required_str(module, "content_type")
        try:
            data = base64.b64decode(fields.required_str(module, "content_base64"), validate=True)
        except binascii.Error:
            raise errors.bad_request(f"module {name}: content_base64 is not base64") from None
        decoded.append({"name": name, "content_type": content_type, "data": data})
    return decoded


def create_version(request: Request, account: Account, worker_id: str) -> Reply:
    script = _worker(account, worker_id)
    body = request.json_object()
    modules = _modules(body)
    main_module = fields.optional_str(body, "main_module") or modules[0]["name"]
    if main_module not in {m["name"] for m in modules}:
        raise errors.bad_request(f"No such module: {main_module}")
    stored, secret_texts = bindings.accept(account, body.get("bindings"), script["id"])
    number = 1 + sum(v["worker_tag"] == script["tag"] for v in account.versions.values())
    annotations = dict(body.get("annotations") or {})
    annotations["workers/triggered_by"] = "upload"
    version = {
        "id": uuid_id(),
        "worker_tag": script["tag"],
        "number": number,
        "main_module": main_module,
        "modules": [
            {
                "name": m["name"],
                "content_type": m["content_type"],
                "sha256": hashlib.sha256(m["data"]).hexdigest(),
                "size": len(m["data"]),
            }
            for m in modules
        ],
        "bindings": stored,
        "annotations": annotations,
        "compatibility_flags": [],
        **{k: body[k] for k in VERSION_SETTINGS if k in body},
        "created_on": now(),
        "source": "api",
        "startup_time_ms": 1,
        "urls": [],
    }
    account.versions[version["id"]] = version
    account.write_only[("version", version["id"])] = {m["name"]: m["data"] for m in modules}
    account.write_only[("version_secret_text", version["id"])] = secret_texts
    if request.query.get("deploy") == "true":
        _deploy(account, script, [{"version_id": version["id"], "percentage": 100}], {})
    return 200, version


def _version(account: Account, script: dict, version_id: str) -> dict:
    return lookup(account.versions, version_id, "version", 10219, worker_tag=script["tag"])


def list_versions(request: Request, account: Account, worker_id: str) -> Reply:
    script = _worker(account, worker_id)
    return 200, [v for v in account.versions.values() if v["worker_tag"] == script["tag"]]


def get_version(request: Request, account: Account, worker_id: str, version_id: str) -> Reply:
    return 200, _version(account, _worker(account, worker_id), version_id)


# -- deployments ------------------------------------------------------------------------------


def _split(account: Account, script: dict, body: dict[str, Any]) -> list[dict[str, Any]]:
    if (body.get("strategy") or "").lower() != "percentage":
        raise errors.bad_request("strategy must be 'percentage'")
    versions = body.get("versions")
    if not isinstance(versions, list) or not 1 <= len(versions) <= 2:
        raise errors.bad_request("a deployment names one or two versions")
    split = []
    for entry in versions:
        if not isinstance(entry, dict):
            raise errors.bad_request("each deployment version must be an object")
        version_id = fields.required_str(entry, "version_id")
        _version(account, script, version_id)
        percentage = fields.number_in(entry, "percentage", 0.01, 100)
        if percentage is None:
            raise errors.bad_request("each deployment version needs a percentage")
        split.append({"version_id": version_id, "percentage": percentage})
    if len({v["version_id"] for v in split}) != len(split):
        raise errors.bad_request("a version appears twice in the deployment")
    if abs(sum(v["percentage"] for v in split) - 100) > 1e-9:
        raise errors.bad_request("deployment percentages must add up to 100")
    return split


def _deploy(account: Account, script: dict, split: list, annotations: dict) -> dict:
    stamp = now()
    deployment = {
        "id": uuid_id(),
        "worker_tag": script["tag"],
        "strategy": "percentage",
        "versions": split,
        "annotations": {**annotations, "workers/triggered_by": "deployment"},
        "author_email": f"{account.id}@emulator.invalid",
        "created_on": stamp,
        "source": "api",
    }
    account.deployments[deployment["id"]] = deployment
    script["deployed_on"] = stamp
    return deployment


def create_deployment(request: Request, account: Account, script_name: str) -> Reply:
    script = script_of(account, script_name)
    body = request.json_object()
    annotations = body.get("annotations") or {}
    if not isinstance(annotations, dict):
        raise errors.bad_request("annotations must be an object")
    return 200, _deploy(account, script, _split(account, script, body), annotations)


def _deployments(account: Account, script: dict) -> list[dict]:
    mine = [d for d in account.deployments.values() if d["worker_tag"] == script["tag"]]
    return sorted(mine, key=lambda d: d["created_on"], reverse=True)


def list_deployments(request: Request, account: Account, script_name: str) -> Reply:
    return 200, {"deployments": _deployments(account, script_of(account, script_name))}


def _deployment(account: Account, script: dict, deployment_id: str) -> dict:
    tag = script["tag"]
    return lookup(account.deployments, deployment_id, "deployment", 10220, worker_tag=tag)


def get_deployment(
    request: Request, account: Account, script_name: str, deployment_id: str
) -> Reply:
    return 200, _deployment(account, script_of(account, script_name), deployment_id)


def delete_deployment(
    request: Request, account: Account, script_name: str, deployment_id: str
) -> Reply:
    script = script_of(account, script_name)
    deployment = _deployment(account, script, deployment_id)
    if _deployments(account, script)[0] is deployment:
        raise errors.ApiError(409, 10221, "Cannot delete the active deployment")
    del account.deployments[deployment_id]
    return 200, None
