"""SecretsStore and SecretsStoreSecret. A secret's value is write-only: the API never returns
it, so state keeps the program's value (as a secret) and a refresh cannot see drift in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.localcloud.cloudflare import rules
from tools.localcloud.cloudflare.checks import Checker
from tools.localcloud.cloudflare.props import to_api
from tools.localcloud.cloudflare.resources.base import (
    Context,
    RestResource,
    Values,
    delete_if_present,
    get_or_none,
)


class SecretsStore(RestResource):
    pulumi_type = "cloudflare:index/secretsStore:SecretsStore"
    inputs = ("accountId", "force", "name")
    computed = ("created", "modified")
    collection = "/secrets_store/stores"
    create_inputs = ("name",)
    update_method = None  # only `force` changes in place, and it governs delete
    refreshed = ("name",)

    def check(self, checker: Checker, cwd: Path) -> Values:
        checker.required("name")
        name = checker.known("name")
        if isinstance(name, str) and len(name) > 255:
            checker.fail("name", "'name' must be at most 255 characters")
        return {}

    async def delete(self, ctx: Context, resource_id: str, state: Values) -> None:
        if state.get("force"):  # cascade: the store's secrets first
            secrets = self.path(state, resource_id) + "/secrets"
            for secret in await get_or_none(ctx.api, secrets) or []:
                await delete_if_present(ctx.api, f"{secrets}/{secret['id']}")
        await super().delete(ctx, resource_id, state)


class SecretsStoreSecret(RestResource):
    pulumi_type = "cloudflare:index/secretsStoreSecret:SecretsStoreSecret"
    inputs = ("accountId", "comment", "name", "scopes", "storeId", "value")
    computed = ("created", "modified", "status")
    volatile = ("modified",)
    secret_outputs = frozenset({"value"})
    collection = "/secrets_store/stores/{storeId}/secrets"
    refreshed = ("name", "scopes")

    def check(self, checker: Checker, cwd: Path) -> Values:
        checker.required("storeId", "name", "scopes", "value")
        checker.pattern("storeId", rules.ACCOUNT_ID, "a 32-character lowercase hex store id")
        checker.pattern("name", rules.SECRET_NAME, rules.SECRET_NAME_RULE)
        scopes = checker.known("scopes")
        if isinstance(scopes, list) and scopes:
            unknown = sorted({s for s in scopes if s not in rules.SECRET_SCOPES})
            if unknown:
                known = ", ".join(rules.SECRET_SCOPES)
                checker.fail("scopes", f"unknown scopes {unknown}; known: {known}")
            elif scopes != sorted(scopes):
                checker.fail("scopes", "'scopes' must be in alphabetical order")
        value = checker.known("value")
        if value is not None and not isinstance(value, str):
            checker.fail("value", "'value' must be a string")
        return {}

    async def create(self, ctx: Context, inputs: Values) -> tuple[str, Values]:
        # The API creates secrets in batches: an array in, an array out.
        body = to_api({k: inputs.get(k) for k in ("name", "value", "scopes", "comment")})
        (created,) = await ctx.api.call("POST", self.path(inputs), json=[body])
        return created["id"], self.computed_of(created)

    def observed_of(self, record: dict[str, Any], state: Values) -> Values:
        observed = super().observed_of(record, state)
        if "comment" in state:
            observed["comment"] = record.get("comment")
        return observed

    async def update(self, ctx: Context, resource_id: str, olds: Values, news: Values) -> Values:
        body = to_api({"scopes": news["scopes"], "comment": news.get("comment")})
        if news.get("value") != olds.get("value"):
            body["value"] = news["value"]
        updated = await ctx.api.call("PATCH", self.path(news, resource_id), json=body)
        return self.computed_of(updated)
