"""What the emulated Cloudflare holds: seeded accounts, stores and zones, and what was created.

Records are kept in Cloudflare's own wire shape (snake_case, as the API returns them). Values
the API never returns (Secrets Store secret values, `secret_text` binding texts, script bodies)
live in `Account.write_only`, which no response and no state dump ever reads.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools.localcloud.cloudflare.emulator import errors

Record = dict[str, Any]


def hex_id() -> str:
    """A 32-hex id, as Cloudflare gives KV namespaces, queues, stores, secrets, workers."""
    return secrets.token_hex(16)


def uuid_id() -> str:
    """A dashed UUID, as Cloudflare gives D1 databases, dispatch namespaces, versions."""
    return str(uuid.uuid4())


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Account:
    id: str
    name: str
    kv_namespaces: dict[str, Record] = field(default_factory=dict)
    d1_databases: dict[str, Record] = field(default_factory=dict)
    queues: dict[str, Record] = field(default_factory=dict)
    consumers: dict[str, Record] = field(default_factory=dict)
    secrets_stores: dict[str, Record] = field(default_factory=dict)
    secrets: dict[str, Record] = field(default_factory=dict)
    dispatch_namespaces: dict[str, Record] = field(default_factory=dict)  # by name
    scripts: dict[str, Record] = field(default_factory=dict)  # by name
    custom_domains: dict[str, Record] = field(default_factory=dict)
    versions: dict[str, Record] = field(default_factory=dict)
    deployments: dict[str, Record] = field(default_factory=dict)
    write_only: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def script_by_worker_id(self, worker_id: str) -> Record | None:
        """The new Workers API addresses a worker by id or by name."""
        if worker_id in self.scripts:
            return self.scripts[worker_id]
        return next((s for s in self.scripts.values() if s["tag"] == worker_id), None)

    def queue_by_name(self, name: str) -> Record | None:
        return next((q for q in self.queues.values() if q["queue_name"] == name), None)


@dataclass
class State:
    accounts: dict[str, Account] = field(default_factory=dict)
    zones: dict[str, Record] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def account(self, account_id: str, path: str) -> Account:
        try:
            return self.accounts[account_id]
        except KeyError:
            raise errors.no_route(path) from None

    def zone(self, zone_id: str | None = None, name: str | None = None) -> Record | None:
        if zone_id:
            return self.zones.get(zone_id)
        return next((z for z in self.zones.values() if z["name"] == name), None)


def lookup(table: dict[str, Record], key: str, what: str, code: int, **owner: str) -> Record:
    """A record by id (and, given `owner`, only if its fields match): else Cloudflare's 404."""
    record = table.get(key)
    if record is None or any(record.get(f) != v for f, v in owner.items()):
        raise errors.not_found(what, key, code=code)
    return record


def load_seed(path: Path | None) -> State:
    """Seed file: {"accounts": [{"id", "name"?, "secrets_stores": [id | {"id", "name"}],
    "zones": [{"id", "name"}]}], "zones": [{"id", "name", "account_id"?}]}."""
    state = State()
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path else {}
    for entry in raw.get("accounts", []):
        account = Account(id=entry["id"], name=entry.get("name", f"account {entry['id'][:8]}"))
        state.accounts[account.id] = account
        for store in entry.get("secrets_stores", []):
            store = {"id": store} if isinstance(store, str) else store
            stamp = now()
            account.secrets_stores[store["id"]] = {
                "id": store["id"],
                "name": store.get("name", "default_secrets_store"),
                "created": stamp,
                "modified": stamp,
            }
        for zone in entry.get("zones", []):
            _add_zone(state, zone, account.id)
    for zone in raw.get("zones", []):
        _add_zone(state, zone, zone.get("account_id"))
    return state


def _add_zone(state: State, zone: dict[str, Any], account_id: str | None) -> None:
    state.zones[zone["id"]] = {
        "id": zone["id"],
        "name": zone["name"].lower().rstrip("."),
        "status": "active",
        "account": {"id": account_id},
    }


def dump(state: State) -> dict[str, Any]:
    """Everything the emulator holds, for tests; write-only values are left out entirely."""
    with state.lock:
        accounts = {}
        for account in state.accounts.values():
            accounts[account.id] = {
                "name": account.name,
                "kv_namespaces": list(account.kv_namespaces.values()),
                "d1_databases": list(account.d1_databases.values()),
                "queues": list(account.queues.values()),
                "consumers": list(account.consumers.values()),
                "secrets_stores": list(account.secrets_stores.values()),
                "secrets": list(account.secrets.values()),
                "dispatch_namespaces": list(account.dispatch_namespaces.values()),
                "scripts": list(account.scripts.values()),
                "custom_domains": list(account.custom_domains.values()),
                "versions": list(account.versions.values()),
                "deployments": list(account.deployments.values()),
            }
        return json.loads(json.dumps({"accounts": accounts, "zones": list(state.zones.values())}))
