"""Workers KV namespaces and D1 databases."""

from __future__ import annotations

from tools.localcloud.cloudflare import rules
from tools.localcloud.cloudflare.emulator import errors, fields
from tools.localcloud.cloudflare.emulator.routing import Reply, Request, Router
from tools.localcloud.cloudflare.emulator.state import Account, hex_id, lookup, now, uuid_id

KV = "/accounts/{account_id}/storage/kv/namespaces"
D1 = "/accounts/{account_id}/d1/database"


def register(router: Router) -> None:
    router.route("POST", KV)(create_kv)
    router.route("GET", KV)(list_kv)
    router.route("GET", KV + "/{namespace_id}")(get_kv)
    router.route("PUT", KV + "/{namespace_id}")(rename_kv)
    router.route("DELETE", KV + "/{namespace_id}")(delete_kv)
    router.route("POST", D1)(create_d1)
    router.route("GET", D1)(list_d1)
    router.route("GET", D1 + "/{database_id}")(get_d1)
    router.route("PUT", D1 + "/{database_id}")(update_d1)
    router.route("PATCH", D1 + "/{database_id}")(update_d1)
    router.route("DELETE", D1 + "/{database_id}")(delete_d1)


# -- KV ---------------------------------------------------------------------------------------


def _kv(account: Account, namespace_id: str) -> dict:
    return lookup(account.kv_namespaces, namespace_id, "namespace", 10013)


def _title_free(account: Account, title: str, owner: str | None = None) -> None:
    if any(n["title"] == title and n["id"] != owner for n in account.kv_namespaces.values()):
        raise errors.kv_title_exists()


def create_kv(request: Request, account: Account) -> Reply:
    body = request.json_object()
    title = fields.required_str(body, "title")
    jurisdiction = fields.one_of(body, "jurisdiction", rules.KV_JURISDICTIONS)
    _title_free(account, title)
    namespace = {"id": hex_id(), "title": title, "supports_url_encoding": True, "beta": False}
    if jurisdiction:
        namespace["jurisdiction"] = jurisdiction
    account.kv_namespaces[namespace["id"]] = namespace
    return 200, namespace


def list_kv(request: Request, account: Account) -> Reply:
    return 200, list(account.kv_namespaces.values())


def get_kv(request: Request, account: Account, namespace_id: str) -> Reply:
    return 200, _kv(account, namespace_id)


def rename_kv(request: Request, account: Account, namespace_id: str) -> Reply:
    namespace = _kv(account, namespace_id)
    title = fields.required_str(request.json_object(), "title")
    _title_free(account, title, owner=namespace_id)
    namespace["title"] = title
    return 200, namespace


def delete_kv(request: Request, account: Account, namespace_id: str) -> Reply:
    _kv(account, namespace_id)
    del account.kv_namespaces[namespace_id]
    return 200, {}


# -- D1 ---------------------------------------------------------------------------------------


def _d1(account: Account, database_id: str) -> dict:
    return lookup(account.d1_databases, database_id, "database", 7404)


def _replication(body: dict) -> dict | None:
    if "read_replication" not in body:
        return None
    replication = body["read_replication"]
    if not isinstance(replication, dict):
        # The answer cf-tf #6309 reports for a null read_replication.
        raise errors.bad_request("read_replication: Expected object, received null")
    mode = fields.one_of(replication, "mode", rules.READ_REPLICATION_MODES)
    if mode is None:
        raise errors.bad_request("read_replication.mode is required")
    return {"mode": mode}


def create_d1(request: Request, account: Account) -> Reply:
    body = request.json_object()
    name = fields.required_str(body, "name")
    hint = fields.one_of(body, "primary_location_hint", rules.D1_LOCATIONS)
    jurisdiction = fields.one_of(body, "jurisdiction", rules.D1_JURISDICTIONS)
    replication = _replication(body) or {"mode": "disabled"}
    if any(d["name"] == name for d in account.d1_databases.values()):
        raise errors.d1_name_exists()
    database = {
        "uuid": uuid_id(),
        "name": name,
        "created_at": now(),
        "version": "production",
        "num_tables": 0,
        "file_size": 0,
        "read_replication": replication,
    }
    if hint:
        database["primary_location_hint"] = hint
    if jurisdiction:
        database["jurisdiction"] = jurisdiction
    account.d1_databases[database["uuid"]] = database
    return 200, database


def list_d1(request: Request, account: Account) -> Reply:
    return 200, list(account.d1_databases.values())


def get_d1(request: Request, account: Account, database_id: str) -> Reply:
    return 200, _d1(account, database_id)


def update_d1(request: Request, account: Account, database_id: str) -> Reply:
    database = _d1(account, database_id)
    replication = _replication(request.json_object())
    if replication is None:
        raise errors.bad_request("read_replication is required")
    database["read_replication"] = replication
    return 200, database


def delete_d1(request: Request, account: Account, database_id: str) -> Reply:
    _d1(account, database_id)
    del account.d1_databases[database_id]
    return 200, None
