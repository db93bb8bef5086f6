"""Worker bindings, shared by script uploads and worker versions: resolved as Cloudflare does.

A binding whose target does not exist in the account is refused at upload; `secret_text` texts
are split off into write-only storage (the API lists such bindings by name and type only).
"""

from __future__ import annotations

from typing import Any

from tools.localcloud.cloudflare.emulator import errors
from tools.localcloud.cloudflare.emulator.state import Account

TEXT_TYPES = ("plain_text", "secret_text")


def _field(binding: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = binding.get(key)
        if isinstance(value, str) and value:
            return value
    raise errors.bad_request(f"binding {binding.get('name')!s} needs {' or '.join(keys)}")


def _resolve(account: Account, binding: dict[str, Any], script_name: str) -> None:
    name, kind = binding["name"], binding["type"]
    if kind in TEXT_TYPES:
        if not isinstance(binding.get("text"), str):
            raise errors.bad_request(f"binding {name} needs text")
    elif kind == "kv_namespace":
        namespace = _field(binding, "namespace_id")
        if namespace not in account.kv_namespaces:
            raise errors.binding_target_missing(name, kind, f"KV namespace {namespace}")
    elif kind == "d1":
        database = _field(binding, "id", "database_id")
        if database not in account.d1_databases:
            raise errors.binding_target_missing(name, kind, f"D1 database {database}")
    elif kind == "queue":
        queue = _field(binding, "queue_name")
        if account.queue_by_name(queue) is None:
            raise errors.queue_not_found(queue)
    elif kind == "service":
        target = _field(binding, "service")
        if target != script_name and target not in account.scripts:
            raise errors.service_binding_unresolved(name, target)
    elif kind == "dispatch_namespace":
        namespace = _field(binding, "namespace")
        if namespace not in account.dispatch_namespaces:
            raise errors.binding_target_missing(name, kind, f"dispatch namespace {namespace}")
    elif kind == "secrets_store_secret":
        store = _field(binding, "store_id")
        _field(binding, "secret_name")
        if store not in account.secrets_stores:
            raise errors.binding_target_missing(name, kind, f"Secrets Store {store}")


def accept(
    account: Account, bindings: Any, script_name: str
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Validated bindings as stored (secret texts removed) and the secret texts by name."""
    if bindings is None:
        return [], {}
    if not isinstance(bindings, list):
        raise errors.bad_request("bindings must be a list")
    stored, secret_texts, seen = [], {}, set()
    for binding in bindings:
        if not isinstance(binding, dict) or not binding.get("name") or not binding.get("type"):
            raise errors.bad_request("every binding needs a name and a type")
        if binding["name"] in seen:
            raise errors.duplicate_binding(binding["name"])
        seen.add(binding["name"])
        _resolve(account, binding, script_name)
        if binding["type"] == "secret_text":
            secret_texts[binding["name"]] = binding["text"]
            stored.append({"name": binding["name"], "type": "secret_text"})
        else:
            stored.append(dict(binding))
    return stored, secret_texts
