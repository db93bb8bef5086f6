"""The newer Workers trio: Worker, WorkerVersion (immutable) and WorkersDeployment.

As upstream: a version's and a deployment's delete does nothing (old versions and deployments
stay in Cloudflare), a version updates only in state (its module paths), and a deployment
never updates.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from tools.localcloud.cloudflare import rules
from tools.localcloud.cloudflare.checks import Checker, binding_failures
from tools.localcloud.cloudflare.props import from_api, is_unknown, to_api, without_nulls
from tools.localcloud.cloudflare.resources.base import Context, RestResource, Values
from tools.localcloud.cloudflare.resources.scripts import BundleError

# Annotations travel as "workers/message" etc. on the wire.
ANNOTATION_KEYS = {"workersMessage": "workers/message", "workersTag": "workers/tag"}


def annotations_to_api(annotations: Values | None) -> dict[str, str] | None:
    if not annotations:
        return None
    return {wire: annotations[key] for key, wire in ANNOTATION_KEYS.items() if annotations.get(key)}


class Worker(RestResource):
    pulumi_type = "cloudflare:index/worker:Worker"
    inputs = (
        "accountId", "force", "logpush", "name", "observability", "previewsBaseConfig",
        "subdomain", "tags", "tailConsumers",
    )  # fmt: skip
    computed = ("createdOn", "deployedOn", "references", "updatedOn")
    volatile = ("deployedOn", "references", "updatedOn")
    unordered = frozenset({"tags", "tailConsumers"})
    computed_optional = frozenset(
        {"logpush", "tags", "observability", "subdomain", "tailConsumers"}
    )
    collection = "/workers/workers"
    create_inputs = ("name", "logpush", "observability", "subdomain", "tags", "tailConsumers")
    update_inputs = create_inputs  # a rename is in place: the id stays
    refreshed = ("name",)

    def check(self, checker: Checker, cwd: Path) -> Values:
        checker.required("name")
        checker.pattern("name", rules.SCRIPT_NAME, rules.SCRIPT_NAME_RULE)
        return {}

    def observed_of(self, record: dict[str, Any], state: Values) -> Values:
        settings = from_api({k: v for k, v in record.items() if k != "references"})
        set_before = {k: settings.get(k) for k in self.create_inputs if k in state}
        return {**super().observed_of(record, state), **set_before}


# -- WorkerVersion ----------------------------------------------------------------------------


def module_content(cwd: Path, module: Values) -> bytes:
    if module.get("contentBase64") is not None:
        return base64.b64decode(module["contentBase64"])
    path = Path(module["contentFile"])
    resolved = path if path.is_absolute() else cwd / path
    try:
        return resolved.read_bytes()
    except OSError:
        raise BundleError(
            f"module '{module.get('name')}': contentFile '{path}' cannot be read "
            f"(looked for {resolved})"
        ) from None


def _binding_key(binding: Any) -> str:
    return str(binding.get("name")) if isinstance(binding, dict) else repr(binding)


def bindings_equal(old: Any, new: Any) -> bool:
    """Upstream's bindings comparison for versions: by name, and a secret text that state does
    not hold (after an import) equals any configured text."""
    if not isinstance(old, list) or not isinstance(new, list) or len(old) != len(new):
        return old == new
    olds = {_binding_key(b): b for b in old}
    news = {_binding_key(b): b for b in new}
    if olds.keys() != news.keys():
        return False
    for name, was in olds.items():
        now = news[name]
        if not (isinstance(was, dict) and isinstance(now, dict)):
            if was != now:
                return False
            continue
        sensitive = was.get("type") == "secret_text" and was.get("text") is None
        keys = set(was) | set(now)
        if sensitive:
            keys.discard("text")
        if any(was.get(k) != now.get(k) for k in keys):
            return False
    return True


class WorkerVersion(RestResource):
    pulumi_type = "cloudflare:index/workerVersion:WorkerVersion"
    inputs = (
        "accountId", "annotations", "assets", "bindings", "cacheOptions", "compatibilityDate",
        "compatibilityFlags", "containers", "deploy", "exports", "include", "limits",
        "mainModule", "migrations", "modules", "packageDependencies", "placement", "usageModel",
        "workerId",
    )  # fmt: skip
    computed = (
        "authorEmail", "authorId", "createdOn", "exportsReconciliation", "mainScriptBase64",
        "migrationTag", "number", "source", "startupTimeMs", "urls",
    )  # fmt: skip
    unordered = frozenset({"compatibilityFlags", "modules", "containers"})
    computed_optional = frozenset(
        {"usageModel", "compatibilityFlags", "annotations", "cacheOptions", "limits"}
    )
    collection = "/workers/workers/{workerId}/versions"
    create_inputs = (
        "mainModule", "compatibilityDate", "compatibilityFlags", "bindings", "limits",
        "placement", "usageModel", "migrations", "assets", "containers", "cacheOptions",
    )  # fmt: skip
    update_method = None  # immutable: upstream only copies module paths into state

    def check(self, checker: Checker, cwd: Path) -> Values:
        checker.required("workerId")
        checker.date("compatibilityDate")
        binding_failures(checker)
        modules = checker.known("modules")
        if modules is None:
            return {}
        hashed, names = [], set()
        for index, module in enumerate(modules):
            path = f"modules[{index}]"
            if (
                not isinstance(module, dict)
                or not module.get("name")
                or not module.get("contentType")
            ):
                checker.fail(path, "every module needs a name and a contentType")
                hashed.append(module)
                continue
            names.add(module["name"])
            sources = [k for k in ("contentFile", "contentBase64") if module.get(k) is not None]
            if len(sources) != 1:
                checker.fail(path, "set exactly one of 'contentFile' or 'contentBase64'")
                hashed.append(module)
                continue
            try:
                digest = hashlib.sha256(module_content(cwd, module)).hexdigest()
            except BundleError as error:
                checker.fail(f"{path}.contentFile", str(error))
                digest = None
            hashed.append({**module, "contentSha256": digest} if digest else module)
        main = checker.known("mainModule")
        if main is not None and names and main not in names:
            checker.fail("mainModule", f"mainModule '{main}' is not one of the modules")
        return {"modules": hashed}

    def same(self, prop: str, old: Any, new: Any) -> bool:
        if prop == "bindings":
            return bindings_equal(old, new)
        return super().same(prop, old, new)

    async def create(self, ctx: Context, inputs: Values) -> tuple[str, Values]:
        body = to_api({k: inputs.get(k) for k in self.create_inputs})
        body["modules"] = [
            {
                "name": m["name"],
                "content_type": m["contentType"],
                "content_base64": base64.b64encode(module_content(ctx.cwd, m)).decode(),
            }
            for m in inputs.get("modules") or []
        ]
        annotations = annotations_to_api(inputs.get("annotations"))
        if annotations:
            body["annotations"] = annotations
        params = {"deploy": "true"} if inputs.get("deploy") else None
        created = await ctx.api.call("POST", self.path(inputs), json=body, params=params)
        return created["id"], self.computed_of(created)

    async def delete(self, ctx: Context, resource_id: str, state: Values) -> None:
        return None  # upstream: old versions stay in Cloudflare


# -- WorkersDeployment ------------------------------------------------------------------------


class WorkersDeployment(RestResource):
    pulumi_type = "cloudflare:index/workersDeployment:WorkersDeployment"
    inputs = ("accountId", "annotations", "force", "scriptName", "strategy", "versions")
    computed = ("authorEmail", "createdOn", "source")
    computed_optional = frozenset({"annotations"})
    collection = "/workers/scripts/{scriptName}/deployments"
    update_method = None  # every change that matters replaces

    def check(self, checker: Checker, cwd: Path) -> Values:
        checker.required("scriptName", "strategy", "versions")
        checker.pattern("scriptName", rules.SCRIPT_NAME, rules.SCRIPT_NAME_RULE)
        checker.one_of("strategy", ("percentage",))
        versions = checker.known("versions")
        if not isinstance(versions, list) or not versions:
            return {}
        if len(versions) > 2:
            checker.fail("versions", "a deployment splits traffic across one or two versions")
        total = 0.0
        for index, version in enumerate(versions):
            version = version if isinstance(version, dict) else {}
            if version.get("versionId") is None:
                checker.fail(f"versions[{index}].versionId", "'versionId' is required")
            percentage = version.get("percentage")
            checker.between(f"versions[{index}].percentage", percentage, 0.01, 100)
            if isinstance(percentage, int | float) and not is_unknown(percentage):
                total += percentage
        if not is_unknown(versions) and abs(total - 100) > 1e-9:
            checker.fail("versions", f"version percentages must add up to 100, not {total:g}")
        return {}

    async def create(self, ctx: Context, inputs: Values) -> tuple[str, Values]:
        body = without_nulls(
            {
                "strategy": inputs["strategy"],
                "versions": to_api(inputs["versions"]),
                "annotations": annotations_to_api(inputs.get("annotations")),
            }
        )
        params = {"force": "true"} if inputs.get("force") else None
        created = await ctx.api.call("POST", self.path(inputs), json=body, params=params)
        return created["id"], self.computed_of(created)

    async def delete(self, ctx: Context, resource_id: str, state: Values) -> None:
        return None  # upstream: deployments stay in Cloudflare's history
