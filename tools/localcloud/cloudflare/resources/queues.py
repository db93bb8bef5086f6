"""Queue and QueueConsumer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.localcloud.cloudflare import rules
from tools.localcloud.cloudflare.checks import Checker
from tools.localcloud.cloudflare.props import from_api
from tools.localcloud.cloudflare.resources.base import Context, RestResource, Values


def _project(settings: dict[str, Any] | None, state: Values) -> dict:
    """Refreshed settings, limited to the keys the program set (the rest are API defaults)."""
    refreshed = from_api(settings or {})
    return {k: refreshed.get(k) for k in state.get("settings") or {}}


class Queue(RestResource):
    pulumi_type = "cloudflare:index/queue:Queue"
    inputs = ("accountId", "jurisdiction", "queueName", "settings")
    computed = (
        "consumers",
        "consumersTotalCount",
        "createdOn",
        "modifiedOn",
        "producers",
        "producersTotalCount",
        "queueId",
    )
    volatile = ("modifiedOn",)
    computed_optional = frozenset({"settings"})
    collection = "/queues"
    id_field = "queue_id"
    create_inputs = ("queueName", "settings")
    update_inputs = ("queueName", "settings")  # a rename is in place
    refreshed = ("queueName",)

    def check(self, checker: Checker, cwd: Path) -> Values:
        checker.required("queueName")
        checker.pattern("queueName", rules.QUEUE_NAME, rules.QUEUE_NAME_RULE)
        checker.limits("settings", rules.QUEUE_LIMITS)
        return {}

    def computed_of(self, record: dict[str, Any]) -> Values:
        computed = super().computed_of({**record, "consumers": None, "producers": None})
        # The API calls a consumer's script `script`; pulumi-cloudflare's output `scriptName`.
        computed["consumers"] = [
            {**from_api({k: v for k, v in c.items() if k not in ("script", "queue_id")}),
             "scriptName": c.get("script")}
            for c in record.get("consumers", [])
        ]  # fmt: skip
        computed["producers"] = from_api(record.get("producers", []))
        return computed

    def observed_of(self, record: dict[str, Any], state: Values) -> Values:
        observed = super().observed_of(record, state)
        if "settings" in state:
            observed["settings"] = _project(record.get("settings"), state)
        return observed


class QueueConsumer(RestResource):
    """Its Pulumi id is the account id, as pulumi-cloudflare computes it for this type (the
    upstream resource has no id attribute); `consumerId` is the consumer's own id."""

    pulumi_type = "cloudflare:index/queueConsumer:QueueConsumer"
    inputs = ("accountId", "deadLetterQueue", "queueId", "scriptName", "settings", "type")
    computed = ("consumerId", "createdOn", "queueName")
    computed_optional = frozenset({"scriptName", "settings"})
    collection = "/queues/{queueId}/consumers"
    id_field = "consumer_id"
    create_inputs = ("type", "scriptName", "deadLetterQueue", "settings")
    update_inputs = create_inputs
    # dead_letter_queue is `no_refresh` upstream: state keeps the program's value.
    refreshed = ("type",)

    def check(self, checker: Checker, cwd: Path) -> Values:
        checker.required("queueId", "type")
        checker.one_of("type", rules.CONSUMER_TYPES)
        if checker.known("type") == "worker":
            checker.required("scriptName")
        checker.pattern("scriptName", rules.SCRIPT_NAME, rules.SCRIPT_NAME_RULE)
        checker.pattern("deadLetterQueue", rules.QUEUE_NAME, rules.QUEUE_NAME_RULE)
        checker.limits("settings", rules.CONSUMER_LIMITS)
        return {}

    def item_id(self, resource_id: str, state: Values) -> str:
        return state["consumerId"]

    async def create(self, ctx: Context, inputs: Values) -> tuple[str, Values]:
        _, computed = await super().create(ctx, inputs)
        return inputs["accountId"], computed

    def observed_of(self, record: dict[str, Any], state: Values) -> Values:
        observed = super().observed_of(record, state)
        if record.get("script"):
            observed["scriptName"] = record["script"]
        if "settings" in state:
            observed["settings"] = _project(record.get("settings"), state)
        return observed
