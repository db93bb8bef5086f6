"""WorkersForPlatformsDispatchNamespace, WorkersScript and WorkersCustomDomain."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tools.localcloud.cloudflare import checks, rules
from tools.localcloud.cloudflare.checks import Checker, binding_failures
from tools.localcloud.cloudflare.props import from_api, to_api
from tools.localcloud.cloudflare.resources.base import (
    Context,
    ResourceType,
    RestResource,
    Values,
    account_path,
    delete_if_present,
    get_or_none,
    pick,
)


class WorkersForPlatformsDispatchNamespace(RestResource):
    pulumi_type = (
        "cloudflare:index/workersForPlatformsDispatchNamespace:WorkersForPlatformsDispatchNamespace"
    )
    inputs = ("accountId", "name")
    computed = (
        "createdBy",
        "createdOn",
        "modifiedBy",
        "modifiedOn",
        "namespaceId",
        "namespaceName",
        "scriptCount",
        "trustedWorkers",
    )
    collection = "/workers/dispatch/namespaces"
    id_field = "namespace_name"  # upstream's id is the namespace name
    create_inputs = ("name",)
    update_method = None  # `name` replaces; `name` is also `no_refresh` upstream

    def check(self, checker: Checker, cwd: Path) -> Values:
        checker.pattern("name", rules.SCRIPT_NAME, rules.SCRIPT_NAME_RULE)
        return {}


# -- WorkersScript ----------------------------------------------------------------------------

METADATA_INPUTS = (
    "mainModule",
    "bodyPart",
    "compatibilityDate",
    "compatibilityFlags",
    "bindings",
    "keepBindings",
    "usageModel",
    "placement",
    "logpush",
    "tailConsumers",
    "observability",
    "migrations",
    "annotations",
    "limits",
)
SCRIPT_COMPUTED_API = (
    "created_on",
    "etag",
    "handlers",
    "has_assets",
    "has_modules",
    "last_deployed_from",
    "migration_tag",
    "modified_on",
    "named_handlers",
    "startup_time_ms",
)
SETTINGS_INPUTS = ("compatibilityDate", "compatibilityFlags", "usageModel", "logpush")


class BundleError(ValueError):
    """The bundle named by contentFile is missing or is not the one contentSha256 names."""


def read_bundle(cwd: Path, inputs: Values) -> bytes:
    """The script body: inline `content`, or `contentFile` (relative to the plugin's working
    directory, which the engine sets to the project directory) checked against its hash."""
    if inputs.get("content") is not None:
        return str(inputs["content"]).encode()
    path = Path(inputs["contentFile"])
    resolved = path if path.is_absolute() else cwd / path
    try:
        data = resolved.read_bytes()
    except OSError:
        raise BundleError(
            f"contentFile '{path}' cannot be read (looked for {resolved}); build the bundle first"
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != inputs.get("contentSha256"):
        raise BundleError(
            f"contentFile '{path}' has SHA-256 {digest}, but contentSha256 is "
            f"{inputs.get('contentSha256')}: rebuild the bundle or update the hash"
        )
    return data


def restore_secret_texts(observed: list[dict], state_bindings: list[dict] | None) -> list[dict]:
    """The API lists secret_text bindings without their text: keep the text state has."""
    texts = {
        b["name"]: b.get("text")
        for b in state_bindings or []
        if isinstance(b, dict) and b.get("type") == "secret_text"
    }
    restored = []
    for binding in observed:
        if binding.get("type") == "secret_text" and binding.get("name") in texts:
            binding = {**binding, "text": texts[binding["name"]]}
        restored.append(binding)
    return restored


class WorkersScript(ResourceType):
    pulumi_type = "cloudflare:index/workersScript:WorkersScript"
    inputs = (
        "accountId", "annotations", "assets", "bindings", "bindingsInherit", "bodyPart",
        "cacheOptions", "compatibilityDate", "compatibilityFlags", "content", "contentFile",
        "contentSha256", "contentType", "exports", "files", "force", "keepAssets",
        "keepBindings", "limits", "logpush", "mainModule", "migrations", "observability",
        "packageDependencies", "placement", "scriptName", "tailConsumers", "usageModel",
    )  # fmt: skip
    computed = (
        "createdOn", "etag", "handlers", "hasAssets", "hasModules", "lastDeployedFrom",
        "migrationTag", "modifiedOn", "namedHandlers", "startupTimeMs",
    )  # fmt: skip
    volatile = ("etag", "handlers", "hasModules", "modifiedOn", "namedHandlers", "startupTimeMs")

    def check(self, checker: Checker, cwd: Path) -> Values:
        checker.required("scriptName")
        checker.pattern("scriptName", rules.SCRIPT_NAME, rules.SCRIPT_NAME_RULE)
        checker.date("compatibilityDate")
        given = checker.inputs
        if given.get("content") is not None and given.get("contentFile") is not None:
            checker.fail("contentFile", "set 'content' or 'contentFile', not both")
        elif given.get("content") is None and given.get("contentFile") is None:
            checker.fail("contentFile", "one of 'content' or 'contentFile' is required")
        if given.get("contentFile") is not None and given.get("contentSha256") is None:
            checker.fail("contentSha256", "'contentSha256' is required with 'contentFile'")
        checker.pattern("contentSha256", checks.SHA256, "a lowercase hex SHA-256")
        file, digest = checker.known("contentFile"), checker.known("contentSha256")
        if file is not None and digest is not None and not checker.failures:
            try:
                read_bundle(cwd, {"contentFile": file, "contentSha256": digest})
            except BundleError as error:
                checker.fail("contentFile", str(error))
        binding_failures(checker)
        return {}

    @staticmethod
    def _path(inputs: Values, tail: str = "") -> str:
        return account_path(inputs, f"/workers/scripts/{inputs['scriptName']}{tail}")

    async def _upload(self, ctx: Context, inputs: Values) -> Values:
        module = inputs.get("mainModule") or inputs.get("bodyPart") or "worker.js"
        content_type = inputs.get("contentType") or (
            "application/javascript+module"
            if inputs.get("mainModule")
            else "application/javascript"
        )
        metadata = to_api({k: inputs.get(k) for k in METADATA_INPUTS})
        files = [
            ("metadata", (None, json.dumps(metadata), "application/json")),
            (module, (module, read_bundle(ctx.cwd, inputs), content_type)),
        ]
        uploaded = await ctx.api.call("PUT", self._path(inputs), files=files)
        return pick(uploaded, SCRIPT_COMPUTED_API)

    async def create(self, ctx: Context, inputs: Values) -> tuple[str, Values]:
        return inputs["scriptName"], await self._upload(ctx, inputs)

    async def read(self, ctx: Context, resource_id: str, state: Values) -> Values | None:
        inputs = {**state, "scriptName": resource_id}
        settings = await get_or_none(ctx.api, self._path(inputs, "/settings"))
        if settings is None:
            return None
        # Settings the program left out keep the API's defaults there, not in state.
        observed = {
            k: v for k, v in from_api(settings).items() if k in SETTINGS_INPUTS and k in state
        }
        if "bindings" in state:
            observed["bindings"] = restore_secret_texts(
                from_api(settings.get("bindings") or []), state["bindings"]
            )
        if "contentSha256" in state:
            # Like upstream, the hash is recomputed from the deployed content.
            content = await ctx.api.raw("GET", self._path(inputs, "/content/v2"))
            observed["contentSha256"] = hashlib.sha256(content).hexdigest()
        listed = await ctx.api.call("GET", account_path(state, "/workers/scripts"))
        record = next((s for s in listed if s.get("id") == resource_id), {})
        return {"scriptName": resource_id, **observed, **pick(record, SCRIPT_COMPUTED_API)}

    async def update(self, ctx: Context, resource_id: str, olds: Values, news: Values) -> Values:
        return await self._upload(ctx, news)

    async def delete(self, ctx: Context, resource_id: str, state: Values) -> None:
        await delete_if_present(ctx.api, self._path({**state, "scriptName": resource_id}))


# -- WorkersCustomDomain ----------------------------------------------------------------------


class WorkersCustomDomain(RestResource):
    pulumi_type = "cloudflare:index/workersCustomDomain:WorkersCustomDomain"
    inputs = ("accountId", "environment", "hostname", "service", "zoneId", "zoneName")
    computed = ("certId", "environment", "zoneId", "zoneName")
    computed_optional = frozenset({"environment", "zoneId", "zoneName"})
    collection = "/workers/domains"
    create_method = "PUT"  # "attach to domain"
    create_inputs = ("hostname", "service", "zoneId", "zoneName", "environment")
    update_method = None  # upstream has no update: every change that matters replaces
    refreshed = ("hostname", "service")

    def check(self, checker: Checker, cwd: Path) -> Values:
        checker.required("hostname", "service")
        checker.hostname("hostname")
        checker.pattern("service", rules.SCRIPT_NAME, rules.SCRIPT_NAME_RULE)
        checker.pattern("zoneId", rules.ACCOUNT_ID, "a 32-character lowercase hex zone id")
        return {}
