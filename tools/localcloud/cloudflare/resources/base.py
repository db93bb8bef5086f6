"""What each served resource type supplies; the provider does the rest (secrets, preview, diff).

A type's outputs are its inputs as given (so an unchanged program diffs to nothing) plus the
computed properties its API answers carry, under pulumi-cloudflare 6.23.1's property names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from tools.localcloud.cloudflare.checks import Checker
from tools.localcloud.cloudflare.client import CloudflareApi, CloudflareApiError
from tools.localcloud.cloudflare.props import from_api, snake, to_api

Values = dict[str, Any]


@dataclass(frozen=True)
class Context:
    api: CloudflareApi
    cwd: Path
    """Where relative bundle paths resolve: the engine starts plugins in the project directory."""


class ResourceType:
    pulumi_type: ClassVar[str]
    inputs: ClassVar[tuple[str, ...]]
    """Every input property of the type (pulumi-cloudflare 6.23.1)."""
    computed: ClassVar[tuple[str, ...]]
    """Outputs only the API knows: unknown during a preview of a create."""
    volatile: ClassVar[tuple[str, ...]] = ()
    """Computed outputs an update changes: unknown during a preview of an update."""
    secret_outputs: ClassVar[frozenset[str]] = frozenset()
    unordered: ClassVar[frozenset[str]] = frozenset()
    """List inputs that are sets upstream: their order is never a change."""
    computed_optional: ClassVar[frozenset[str]] = frozenset()
    """Inputs the API fills in when the program leaves them out (`computed_optional` in the
    upstream model): leaving them out is no change."""

    def check(self, checker: Checker, cwd: Path) -> Values:
        """Add failures to `checker`; return input values the provider fills in (if any)."""
        return {}

    def same(self, prop: str, old: Any, new: Any) -> bool:
        """Whether an input's old output equals its new input (override for custom rules)."""
        if prop in self.unordered and isinstance(old, list) and isinstance(new, list):
            return sorted(map(canonical, old)) == sorted(map(canonical, new))
        return old == new

    async def create(self, ctx: Context, inputs: Values) -> tuple[str, Values]:
        """Create; return the id and the computed outputs."""
        raise NotImplementedError

    async def read(self, ctx: Context, resource_id: str, state: Values) -> Values | None:
        """What the API shows now, as outputs; None when the resource is gone."""
        raise NotImplementedError

    async def update(self, ctx: Context, resource_id: str, olds: Values, news: Values) -> Values:
        """Update in place; return the computed outputs."""
        raise NotImplementedError

    async def delete(self, ctx: Context, resource_id: str, state: Values) -> None:
        raise NotImplementedError


def canonical(value: Any) -> str:
    """One spelling per value, whatever its keys' order: for comparing set elements."""
    return json.dumps(value, sort_keys=True)


def pick(record: Mapping[str, Any], fields: Iterable[str]) -> Values:
    """The named API fields of a record, camelCased, nulls left out."""
    return {k: v for k, v in from_api({f: record.get(f) for f in fields}).items() if v is not None}


def account_path(inputs: Mapping[str, Any], tail: str) -> str:
    return f"/accounts/{inputs['accountId']}{tail}"


async def get_or_none(api: CloudflareApi, path: str) -> Any:
    """GET a record; None when the API says it does not exist (refresh then drops it)."""
    try:
        return await api.call("GET", path)
    except CloudflareApiError as error:
        if error.not_found:
            return None
        raise


async def delete_if_present(api: CloudflareApi, path: str) -> None:
    """DELETE; a resource already gone is what a delete wants."""
    try:
        await api.call("DELETE", path)
    except CloudflareApiError as error:
        if not error.not_found:
            raise


class RestResource(ResourceType):
    """A type that is one record in an API collection: POST to create, GET, PUT, DELETE."""

    collection: ClassVar[str]
    """Path below /accounts/{accountId}; may name inputs, e.g. "/queues/{queueId}/consumers"."""
    id_field: ClassVar[str] = "id"
    """The field of a created record that holds its id."""
    create_method: ClassVar[str] = "POST"
    create_inputs: ClassVar[tuple[str, ...]] = ()
    update_method: ClassVar[str | None] = "PUT"
    """None where upstream has no update: every change that matters replaces."""
    update_inputs: ClassVar[tuple[str, ...]] = ()
    """Sent on update, an omitted one as null (as upstream sends it)."""
    refreshed: ClassVar[tuple[str, ...]] = ()
    """Inputs a refresh reads back from the API."""

    def path(self, inputs: Values, item_id: str = "") -> str:
        tail = self.collection.format(**inputs) + (f"/{item_id}" if item_id else "")
        return account_path(inputs, tail)

    def item_id(self, resource_id: str, state: Values) -> str:
        return resource_id

    def computed_of(self, record: dict[str, Any]) -> Values:
        return pick(record, [snake(c) for c in self.computed])

    def observed_of(self, record: dict[str, Any], state: Values) -> Values:
        return {**pick(record, [snake(p) for p in self.refreshed]), **self.computed_of(record)}

    async def create(self, ctx: Context, inputs: Values) -> tuple[str, Values]:
        body = to_api({k: inputs.get(k) for k in self.create_inputs})
        created = await ctx.api.call(self.create_method, self.path(inputs), json=body)
        return created[self.id_field], self.computed_of(created)

    async def read(self, ctx: Context, resource_id: str, state: Values) -> Values | None:
        found = await get_or_none(ctx.api, self.path(state, self.item_id(resource_id, state)))
        return None if found is None else self.observed_of(found, state)

    async def update(self, ctx: Context, resource_id: str, olds: Values, news: Values) -> Values:
        if self.update_method is None:
            return {k: olds[k] for k in self.computed if k in olds}
        body = {snake(k): to_api(news.get(k)) for k in self.update_inputs}
        path = self.path(news, self.item_id(resource_id, olds))
        return self.computed_of(await ctx.api.call(self.update_method, path, json=body))

    async def delete(self, ctx: Context, resource_id: str, state: Values) -> None:
        await delete_if_present(ctx.api, self.path(state, self.item_id(resource_id, state)))
