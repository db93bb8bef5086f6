"""Workers scripts (multipart upload), their settings and content, and dispatch namespaces."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from tools.localcloud.cloudflare import rules
from tools.localcloud.cloudflare.emulator import bindings, errors, fields
from tools.localcloud.cloudflare.emulator.routing import Part, Reply, Request, Router
from tools.localcloud.cloudflare.emulator.state import Account, hex_id, lookup, now, uuid_id

SCRIPTS = "/accounts/{account_id}/workers/scripts"
NAMESPACES = "/accounts/{account_id}/workers/dispatch/namespaces"
HANDLERS = ("fetch", "queue", "scheduled", "email", "tail")
SETTINGS = (
    "compatibility_date",
    "compatibility_flags",
    "usage_model",
    "placement",
    "logpush",
    "tail_consumers",
    "observability",
)


class RawBody:
    """A non-JSON answer (script content)."""

    def __init__(self, content_type: str, data: bytes) -> None:
        self.content_type = content_type
        self.data = data


def register(router: Router) -> None:
    router.route("PUT", SCRIPTS + "/{script_name}")(upload_script)
    router.route("GET", SCRIPTS)(list_scripts)
    router.route("GET", SCRIPTS + "/{script_name}")(script_content)
    router.route("GET", SCRIPTS + "/{script_name}/content/v2")(script_content)
    router.route("GET", SCRIPTS + "/{script_name}/settings")(script_settings)
    router.route("DELETE", SCRIPTS + "/{script_name}")(delete_script)
    router.route("POST", NAMESPACES)(create_namespace)
    router.route("GET", NAMESPACES)(list_namespaces)
    router.route("GET", NAMESPACES + "/{namespace}")(get_namespace)
    router.route("DELETE", NAMESPACES + "/{namespace}")(delete_namespace)


def check_script_name(name: str) -> None:
    if not rules.SCRIPT_NAME.match(name):
        raise errors.ApiError(
            400,
            10016,
            f"Invalid script name '{name}': use {rules.SCRIPT_NAME_RULE}, alphanumeric at ends",
        )


def script_of(account: Account, name: str) -> dict:
    try:
        return account.scripts[name]
    except KeyError:
        raise errors.script_not_found(name) from None


def new_script(name: str) -> dict:
    """A script with no content yet (the new Workers API creates workers this way)."""
    stamp = now()
    return {
        "id": name,
        "tag": hex_id(),
        "etag": "",
        "handlers": [],
        "named_handlers": [],
        "created_on": stamp,
        "modified_on": stamp,
        "has_modules": False,
        "has_assets": False,
        "usage_model": "standard",
        "startup_time_ms": 0,
        "last_deployed_from": "api",
        "compatibility_date": None,
        "compatibility_flags": [],
        "bindings": [],
        "logpush": False,
        "tail_consumers": [],
        "modules": [],
        "content_sha256": None,
    }


def store_code(
    account: Account, script: dict, modules: list[Part], main_module: str, settings: dict[str, Any]
) -> None:
    """Keep an upload's code and settings on the script: bodies write-only, hashes visible."""
    main = next(m for m in modules if m.name == main_module)
    text = main.data.decode("utf-8", errors="replace")
    account.write_only[("script", script["id"])] = {m.name: m.data for m in modules}
    script.update(
        settings,
        main_module=main_module,
        modules=[
            {
                "name": m.name,
                "content_type": m.content_type,
                "sha256": hashlib.sha256(m.data).hexdigest(),
                "size": len(m.data),
            }
            for m in modules
        ],
        content_sha256=hashlib.sha256(main.data).hexdigest(),
        etag=hashlib.sha256(b"".join(m.data for m in modules)).hexdigest(),
        handlers=[h for h in HANDLERS if re.search(rf"\b{h}\s*\(", text)],
        has_modules=main.content_type == "application/javascript+module",
        modified_on=now(),
    )


def _metadata(parts: list[Part]) -> dict[str, Any]:
    meta = next((p for p in parts if p.name == "metadata"), None)
    if meta is None:
        raise errors.bad_request("Missing metadata part")
    try:
        metadata = json.loads(meta.data)
    except ValueError:
        raise errors.bad_request("metadata is not valid JSON") from None
    if not isinstance(metadata, dict):
        raise errors.bad_request("metadata must be a JSON object")
    return metadata


def upload_script(request: Request, account: Account, script_name: str) -> Reply:
    check_script_name(script_name)
    parts = request.multipart()
    metadata = _metadata(parts)
    modules = [p for p in parts if p.name != "metadata"]
    main_module = metadata.get("main_module") or metadata.get("body_part")
    if not isinstance(main_module, str) or not main_module:
        raise errors.bad_request("metadata needs main_module (or body_part)")
    if main_module not in {m.name for m in modules}:
        raise errors.bad_request(f"No such module: {main_module}")
    previous = account.scripts.get(script_name)
    stored, secret_texts = bindings.accept(account, metadata.get("bindings"), script_name)
    kept = set(fields.string_list(metadata, "keep_bindings"))
    if previous and kept:
        names = {b["name"] for b in stored}
        stored += [b for b in previous["bindings"] if b["type"] in kept and b["name"] not in names]
    script = previous or new_script(script_name)
    settings = {k: metadata[k] for k in SETTINGS if k in metadata}
    settings.setdefault("compatibility_flags", [])
    store_code(account, script, modules, main_module, {**settings, "bindings": stored})
    account.write_only[("secret_text", script_name)] = secret_texts
    account.scripts[script_name] = script
    return 200, script


def list_scripts(request: Request, account: Account) -> Reply:
    return 200, list(account.scripts.values())


def script_content(request: Request, account: Account, script_name: str) -> Reply:
    script = script_of(account, script_name)
    code = account.write_only.get(("script", script_name), {})
    main = script.get("main_module")
    if main not in code:
        raise errors.ApiError(404, 10007, f"script '{script_name}' has no content")
    module = next(m for m in script["modules"] if m["name"] == main)
    return 200, RawBody(module["content_type"], code[main])


def script_settings(request: Request, account: Account, script_name: str) -> Reply:
    script = script_of(account, script_name)
    return 200, {k: script.get(k) for k in (*SETTINGS, "bindings")}


def delete_script(request: Request, account: Account, script_name: str) -> Reply:
    script_of(account, script_name)
    if any(c.get("script") == script_name for c in account.consumers.values()):
        raise errors.script_is_consumer(script_name)
    tag = account.scripts.pop(script_name)["tag"]
    for key in (("script", script_name), ("secret_text", script_name)):
        account.write_only.pop(key, None)
    for table in (account.versions, account.deployments):
        for key in [k for k, v in table.items() if v["worker_tag"] == tag]:
            del table[key]
    return 200, None


# -- dispatch namespaces ----------------------------------------------------------------------


def _namespace(account: Account, name: str) -> dict:
    return lookup(account.dispatch_namespaces, name, "dispatch namespace", 100119)


def create_namespace(request: Request, account: Account) -> Reply:
    body = request.json_object()
    name = fields.optional_str(body, "name") or f"namespace-{hex_id()[:8]}"
    check_script_name(name)
    if name in account.dispatch_namespaces:
        raise errors.name_exists("dispatch namespace", name, code=100120)
    stamp = now()
    namespace = {
        "namespace_id": uuid_id(),
        "namespace_name": name,
        "created_on": stamp,
        "created_by": account.id,
        "modified_on": stamp,
        "modified_by": account.id,
        "script_count": 0,
        "trusted_workers": False,
    }
    account.dispatch_namespaces[name] = namespace
    return 200, namespace


def list_namespaces(request: Request, account: Account) -> Reply:
    return 200, list(account.dispatch_namespaces.values())


def get_namespace(request: Request, account: Account, namespace: str) -> Reply:
    return 200, _namespace(account, namespace)


def delete_namespace(request: Request, account: Account, namespace: str) -> Reply:
    _namespace(account, namespace)
    del account.dispatch_namespaces[namespace]
    return 200, None
