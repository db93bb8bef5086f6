"""Queues and their consumers."""

from __future__ import annotations

from typing import Any

from tools.localcloud.cloudflare import rules
from tools.localcloud.cloudflare.emulator import errors, fields
from tools.localcloud.cloudflare.emulator.routing import Reply, Request, Router
from tools.localcloud.cloudflare.emulator.state import Account, hex_id, lookup, now

QUEUES = "/accounts/{account_id}/queues"
CONSUMERS = QUEUES + "/{queue_id}/consumers"
CONSUMER_DEFAULTS = {
    "batch_size": 10,
    "max_retries": 3,
    "max_wait_time_ms": 5_000,
    "retry_delay": 0,
}


def register(router: Router) -> None:
    router.route("POST", QUEUES)(create_queue)
    router.route("GET", QUEUES)(list_queues)
    router.route("GET", QUEUES + "/{queue_id}")(get_queue)
    router.route("PUT", QUEUES + "/{queue_id}")(update_queue)
    router.route("PATCH", QUEUES + "/{queue_id}")(update_queue)
    router.route("DELETE", QUEUES + "/{queue_id}")(delete_queue)
    router.route("POST", CONSUMERS)(create_consumer)
    router.route("GET", CONSUMERS)(list_consumers)
    router.route("GET", CONSUMERS + "/{consumer_id}")(get_consumer)
    router.route("PUT", CONSUMERS + "/{consumer_id}")(update_consumer)
    router.route("DELETE", CONSUMERS + "/{consumer_id}")(delete_consumer)


# -- queues -----------------------------------------------------------------------------------


def _queue(account: Account, queue_id: str) -> dict:
    try:
        return account.queues[queue_id]
    except KeyError:
        raise errors.queue_not_found(queue_id) from None


def _queue_name(body: dict, account: Account, owner: str | None = None) -> str:
    name = fields.required_str(body, "queue_name")
    if not rules.QUEUE_NAME.match(name):
        raise errors.bad_request(
            "queue_name must be 1-63 lowercase letters, digits and dashes, "
            "starting and ending with a letter or digit"
        )
    if any(q["queue_name"] == name and q["queue_id"] != owner for q in account.queues.values()):
        raise errors.queue_name_exists()
    return name


def _queue_settings(body: dict, current: dict | None = None) -> dict:
    settings = dict(
        current
        or {"delivery_delay": 0, "delivery_paused": False, "message_retention_period": 345_600}
    )
    given = body.get("settings") or {}
    if not isinstance(given, dict):
        raise errors.bad_request("settings must be an object")
    for key, (low, high) in rules.QUEUE_LIMITS.items():
        value = fields.number_in(given, key, low, high)
        if value is not None:
            settings[key] = value
    if "delivery_paused" in given:
        settings["delivery_paused"] = bool(given["delivery_paused"])
    return settings


def _view(account: Account, queue: dict) -> dict:
    """A queue as the API shows it: its consumers and producer scripts, live."""
    consumers = [c for c in account.consumers.values() if c["queue_id"] == queue["queue_id"]]
    producers = [
        {"type": "worker", "script": s["id"]}
        for s in account.scripts.values()
        if any(
            b.get("type") == "queue" and b.get("queue_name") == queue["queue_name"]
            for b in s.get("bindings", [])
        )
    ]
    return {
        **queue,
        "consumers": consumers,
        "consumers_total_count": len(consumers),
        "producers": producers,
        "producers_total_count": len(producers),
    }


def create_queue(request: Request, account: Account) -> Reply:
    body = request.json_object()
    name = _queue_name(body, account)
    stamp = now()
    queue = {
        "queue_id": hex_id(),
        "queue_name": name,
        "created_on": stamp,
        "modified_on": stamp,
        "settings": _queue_settings(body),
    }
    account.queues[queue["queue_id"]] = queue
    return 200, _view(account, queue)


def list_queues(request: Request, account: Account) -> Reply:
    return 200, [_view(account, q) for q in account.queues.values()]


def get_queue(request: Request, account: Account, queue_id: str) -> Reply:
    return 200, _view(account, _queue(account, queue_id))


def update_queue(request: Request, account: Account, queue_id: str) -> Reply:
    queue = _queue(account, queue_id)
    body = request.json_object()
    if "queue_name" in body or request.method == "PUT":
        queue["queue_name"] = _queue_name(body, account, owner=queue_id)
    queue["settings"] = _queue_settings(body, queue["settings"])
    queue["modified_on"] = now()
    return 200, _view(account, queue)


def delete_queue(request: Request, account: Account, queue_id: str) -> Reply:
    queue = _queue(account, queue_id)
    if any(c["queue_id"] == queue_id for c in account.consumers.values()):
        raise errors.queue_has_consumers(queue["queue_name"])
    del account.queues[queue_id]
    return 200, None


# -- consumers --------------------------------------------------------------------------------


def _consumer(account: Account, queue_id: str, consumer_id: str) -> dict:
    return lookup(account.consumers, consumer_id, "consumer", 11003, queue_id=queue_id)


def _consumer_fields(body: dict, account: Account, queue: dict, owner: str | None) -> dict:
    kind = fields.one_of(body, "type", rules.CONSUMER_TYPES) or "worker"
    script = body.get("script_name") or body.get("script")
    if kind == "worker":
        if not isinstance(script, str) or not script:
            raise errors.bad_request("a worker consumer needs script_name")
        if script not in account.scripts:
            raise errors.script_not_found(script)
        taken = any(
            c["queue_id"] == queue["queue_id"]
            and c["type"] == "worker"
            and c["consumer_id"] != owner
            for c in account.consumers.values()
        )
        if taken:
            raise errors.consumer_exists()
    dead_letter = fields.optional_str(body, "dead_letter_queue")
    if dead_letter is not None:
        if dead_letter == queue["queue_name"]:
            raise errors.bad_request("dead_letter_queue cannot be the queue itself")
        if account.queue_by_name(dead_letter) is None:
            raise errors.queue_not_found(dead_letter)
    given = body.get("settings") or {}
    if not isinstance(given, dict):
        raise errors.bad_request("settings must be an object")
    settings: dict[str, Any] = dict(CONSUMER_DEFAULTS)
    for key, (low, high) in rules.CONSUMER_LIMITS.items():
        value = fields.number_in(given, key, low, high)
        if value is not None:
            settings[key] = value
    result = {"type": kind, "settings": settings}
    if kind == "worker":
        result["script"] = script
    if dead_letter is not None:
        result["dead_letter_queue"] = dead_letter
    return result


def create_consumer(request: Request, account: Account, queue_id: str) -> Reply:
    queue = _queue(account, queue_id)
    consumer = {
        "consumer_id": hex_id(),
        "queue_id": queue_id,
        "queue_name": queue["queue_name"],
        "created_on": now(),
        **_consumer_fields(request.json_object(), account, queue, owner=None),
    }
    account.consumers[consumer["consumer_id"]] = consumer
    return 200, consumer


def list_consumers(request: Request, account: Account, queue_id: str) -> Reply:
    _queue(account, queue_id)
    return 200, [c for c in account.consumers.values() if c["queue_id"] == queue_id]


def get_consumer(request: Request, account: Account, queue_id: str, consumer_id: str) -> Reply:
    _queue(account, queue_id)
    return 200, _consumer(account, queue_id, consumer_id)


def update_consumer(request: Request, account: Account, queue_id: str, consumer_id: str) -> Reply:
    queue = _queue(account, queue_id)
    consumer = _consumer(account, queue_id, consumer_id)
    changed = _consumer_fields(request.json_object(), account, queue, owner=consumer_id)
    for key in ("script", "dead_letter_queue"):
        consumer.pop(key, None)
    consumer.update(changed, queue_name=queue["queue_name"])
    return 200, consumer


def delete_consumer(request: Request, account: Account, queue_id: str, consumer_id: str) -> Reply:
    _queue(account, queue_id)
    _consumer(account, queue_id, consumer_id)
    del account.consumers[consumer_id]
    return 200, None
