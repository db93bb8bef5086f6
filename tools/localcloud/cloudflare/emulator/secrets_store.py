"""Secrets Store stores and secrets. Secret values are write-only: kept, never returned."""

from __future__ import annotations

from typing import Any

from tools.localcloud.cloudflare import rules
from tools.localcloud.cloudflare.emulator import errors, fields
from tools.localcloud.cloudflare.emulator.routing import Reply, Request, Router
from tools.localcloud.cloudflare.emulator.state import Account, hex_id, lookup, now

STORES = "/accounts/{account_id}/secrets_store/stores"
SECRETS = STORES + "/{store_id}/secrets"


def register(router: Router) -> None:
    router.route("POST", STORES)(create_store)
    router.route("GET", STORES)(list_stores)
    router.route("GET", STORES + "/{store_id}")(get_store)
    router.route("DELETE", STORES + "/{store_id}")(delete_store)
    router.route("POST", SECRETS)(create_secrets)
    router.route("GET", SECRETS)(list_secrets)
    router.route("GET", SECRETS + "/{secret_id}")(get_secret)
    router.route("PATCH", SECRETS + "/{secret_id}")(edit_secret)
    router.route("DELETE", SECRETS + "/{secret_id}")(delete_secret)


def store_of(account: Account, store_id: str) -> dict:
    return lookup(account.secrets_stores, store_id, "secrets store", 1001)


# -- stores -----------------------------------------------------------------------------------


def create_store(request: Request, account: Account) -> Reply:
    body = request.json()
    items = body if isinstance(body, list) else [body]
    created = []
    for item in items:
        if not isinstance(item, dict):
            raise errors.bad_request("Each store must be a JSON object")
        name = fields.required_str(item, "name")
        if any(s["name"] == name for s in account.secrets_stores.values()):
            raise errors.name_exists("secrets store", name, code=1002)
        stamp = now()
        store = {"id": hex_id(), "name": name, "created": stamp, "modified": stamp}
        account.secrets_stores[store["id"]] = store
        created.append(store)
    return 200, created if isinstance(body, list) else created[0]


def list_stores(request: Request, account: Account) -> Reply:
    return 200, list(account.secrets_stores.values())


def get_store(request: Request, account: Account, store_id: str) -> Reply:
    return 200, store_of(account, store_id)


def delete_store(request: Request, account: Account, store_id: str) -> Reply:
    store_of(account, store_id)
    if any(s["store_id"] == store_id for s in account.secrets.values()):
        raise errors.ApiError(409, 1003, f"secrets store '{store_id}' still holds secrets")
    del account.secrets_stores[store_id]
    return 200, None


# -- secrets ----------------------------------------------------------------------------------


def _secret(account: Account, store_id: str, secret_id: str) -> dict:
    store_of(account, store_id)
    return lookup(account.secrets, secret_id, "secret", 1004, store_id=store_id)


def _scopes(body: dict[str, Any]) -> list[str]:
    scopes = fields.string_list(body, "scopes")
    if not scopes:
        raise errors.bad_request("scopes must name at least one service")
    unknown = sorted(set(scopes) - set(rules.SECRET_SCOPES))
    if unknown:
        raise errors.bad_request(f"unknown scopes: {', '.join(unknown)}")
    if scopes != sorted(scopes):
        raise errors.bad_request("scopes must be in alphabetical order")
    return scopes


def _value(body: dict[str, Any]) -> str:
    value = body.get("value")
    if not isinstance(value, str) or not value:
        # Never echo the value: the message names the field only.
        raise errors.bad_request("'value' is required and must be a non-empty string")
    return value


def create_secrets(request: Request, account: Account, store_id: str) -> Reply:
    store_of(account, store_id)
    body = request.json()
    if not isinstance(body, list) or not body:
        raise errors.bad_request("Request body must be a non-empty array of secrets")
    created = []
    for item in body:
        if not isinstance(item, dict):
            raise errors.bad_request("Each secret must be a JSON object")
        name = fields.required_str(item, "name")
        if not rules.SECRET_NAME.match(name):
            raise errors.bad_request(f"secret names are {rules.SECRET_NAME_RULE}")
        taken = any(
            s["store_id"] == store_id and s["name"] == name
            for s in [*account.secrets.values(), *created]
        )
        if taken:
            raise errors.name_exists("secret", name, code=1005)
        value, scopes = _value(item), _scopes(item)
        stamp = now()
        secret = {
            "id": hex_id(),
            "store_id": store_id,
            "name": name,
            "scopes": scopes,
            "comment": fields.optional_str(item, "comment") or "",
            "status": "active",
            "created": stamp,
            "modified": stamp,
        }
        account.write_only[("secret", secret["id"])] = value
        created.append(secret)
    for secret in created:
        account.secrets[secret["id"]] = secret
    return 200, created


def list_secrets(request: Request, account: Account, store_id: str) -> Reply:
    store_of(account, store_id)
    return 200, [s for s in account.secrets.values() if s["store_id"] == store_id]


def get_secret(request: Request, account: Account, store_id: str, secret_id: str) -> Reply:
    return 200, _secret(account, store_id, secret_id)


def edit_secret(request: Request, account: Account, store_id: str, secret_id: str) -> Reply:
    secret = _secret(account, store_id, secret_id)
    body = request.json_object()
    if "name" in body and body["name"] != secret["name"]:
        raise errors.bad_request("a secret cannot be renamed")
    if "value" in body:
        account.write_only[("secret", secret_id)] = _value(body)
    if "scopes" in body:
        secret["scopes"] = _scopes(body)
    if "comment" in body:
        secret["comment"] = fields.optional_str(body, "comment") or ""
    secret["modified"] = now()
    return 200, secret


def delete_secret(request: Request, account: Account, store_id: str, secret_id: str) -> Reply:
    _secret(account, store_id, secret_id)
    del account.secrets[secret_id]
    account.write_only.pop(("secret", secret_id), None)
    return 200, None
