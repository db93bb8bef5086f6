"""A Pulumi resource provider plugin, served as `cloudflare` 6.23.1, that talks to the emulator.

    python -m tools.localcloud.cloudflare.provider <engine address>

For tests only: it refuses any API base URL that is not on loopback, so the token it is given
never leaves the machine. Config: `cloudflare:baseUrl` (or CLOUDFLARE_BASE_URL), e.g.
`http://127.0.0.1:<port>/client/v4`, and `cloudflare:apiToken` (secret; or
CLOUDFLARE_API_TOKEN). Relative bundle paths resolve against the working directory the engine
starts the plugin in (the project directory).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from pulumi.provider.experimental import server
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)
from pulumi.runtime.rpc import UNKNOWN

from tools.localcloud.cloudflare import checks, diffing
from tools.localcloud.cloudflare.checks import Checker
from tools.localcloud.cloudflare.client import CloudflareApi
from tools.localcloud.cloudflare.props import plain_map, secret_keys, to_properties, to_property
from tools.localcloud.cloudflare.resources import RESOURCE_TYPES
from tools.localcloud.cloudflare.resources.base import Context, ResourceType
from tools.localcloud.loopback import is_loopback_url

NAME = "cloudflare"
VERSION = "6.23.1"


def _loopback_failure(base_url: Any) -> str | None:
    if not isinstance(base_url, str) or base_url == UNKNOWN:
        return None
    if not is_loopback_url(base_url):
        return (
            "this test provider only talks to a local Cloudflare emulator: baseUrl must be an "
            "http(s) URL on loopback (127.0.0.1, ::1 or localhost), e.g. "
            "http://127.0.0.1:8787/client/v4"
        )
    return None


class CloudflareProvider(Provider):
    def __init__(self, cwd: Path | None = None) -> None:
        self._cwd = cwd or Path.cwd()
        self._context: Context | None = None

    # -- provider config --------------------------------------------------------------------

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        types = {token: {"isComponent": False} for token in RESOURCE_TYPES}
        return GetSchemaResponse(json.dumps({"name": NAME, "version": VERSION, "resources": types}))

    async def check_config(self, request: CheckRequest) -> CheckResponse:
        config = plain_map(request.new_inputs)
        failures = []
        token = config.get("apiToken") or os.environ.get("CLOUDFLARE_API_TOKEN")
        if token is None:
            failures.append(
                CheckFailure("apiToken", "set cloudflare:apiToken (secret) or CLOUDFLARE_API_TOKEN")
            )
        elif token != UNKNOWN and not checks.API_TOKEN.match(str(token)):
            # The rule only: the value is a credential.
            failures.append(
                CheckFailure("apiToken", f"the API token must match {checks.API_TOKEN.pattern}")
            )
        base_url = config.get("baseUrl") or os.environ.get("CLOUDFLARE_BASE_URL")
        if base_url is None:
            failures.append(CheckFailure("baseUrl", "set cloudflare:baseUrl to the emulator"))
        elif reason := _loopback_failure(base_url):
            failures.append(CheckFailure("baseUrl", reason))
        return CheckResponse(inputs=dict(request.new_inputs), failures=failures or None)

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        args = plain_map(request.args)

        def setting(key: str, env: str) -> Any:
            variables = request.variables
            return (
                args.get(key)
                or variables.get(f"{NAME}:config:{key}")
                or variables.get(f"{NAME}:{key}")
                or os.environ.get(env)
            )

        base_url = setting("baseUrl", "CLOUDFLARE_BASE_URL")
        token = setting("apiToken", "CLOUDFLARE_API_TOKEN")
        reason = _loopback_failure(base_url) if base_url else "cloudflare:baseUrl is not set"
        if reason:
            raise ValueError(reason)
        if token and token != UNKNOWN and base_url != UNKNOWN:
            self._context = Context(CloudflareApi(base_url, token), self._cwd)
        # Unknowns come as the sentinel string, not as output values or resource references.
        return ConfigureResponse(
            accept_secrets=True, supports_preview=True, accept_resources=False, accept_outputs=False
        )

    @property
    def context(self) -> Context:
        if self._context is None:
            raise RuntimeError("the cloudflare provider is not configured (baseUrl, apiToken)")
        return self._context

    # -- resources --------------------------------------------------------------------------

    @staticmethod
    def _type(type_in_urn: str) -> ResourceType:
        token = type_in_urn.split("$")[-1]  # a URN's type names its parents' types first
        try:
            return RESOURCE_TYPES[token]
        except KeyError:
            raise ValueError(f"the local cloudflare provider does not serve {token}") from None

    async def check(self, request: CheckRequest) -> CheckResponse:
        resource = self._type(request.type)
        checker = Checker(plain_map(request.new_inputs))
        checker.account()
        filled = resource.check(checker, self._cwd)
        inputs = dict(request.new_inputs)
        for key, value in filled.items():
            inputs[key] = to_property(value, key in secret_keys(request.new_inputs))
        failures = [CheckFailure(f.property, f.reason) for f in checker.failures]
        return CheckResponse(inputs=inputs, failures=failures or None)

    async def diff(self, request: DiffRequest) -> DiffResponse:
        resource = self._type(request.type)
        return diffing.diff(
            resource,
            plain_map(request.old_state),
            plain_map(request.new_inputs),
            list(request.ignore_changes),
        )

    async def create(self, request: CreateRequest) -> CreateResponse:
        resource = self._type(request.type)
        inputs = plain_map(request.properties)
        secret = secret_keys(request.properties) | resource.secret_outputs
        if request.preview:
            unknown = {k: UNKNOWN for k in resource.computed if k not in inputs}
            return CreateResponse("", to_properties({**inputs, **unknown}, secret))
        resource_id, computed = await resource.create(self.context, inputs)
        outputs = {**inputs, **computed, "id": resource_id}
        return CreateResponse(resource_id, to_properties(outputs, secret))

    async def read(self, request: ReadRequest) -> ReadResponse:
        resource = self._type(request.type)
        state, inputs = plain_map(request.properties), plain_map(request.inputs)
        if not state:
            raise ValueError(
                f"{resource.pulumi_type}: import is not supported by the local provider"
            )
        observed = await resource.read(self.context, request.resource_id, state)
        if observed is None:
            return ReadResponse()  # no id: the resource is gone
        outputs = {**state, **observed}
        refreshed = {k: outputs.get(k) for k in resource.inputs if k in inputs}
        secret = secret_keys(request.properties) | secret_keys(request.inputs)
        secret |= resource.secret_outputs
        return ReadResponse(
            request.resource_id, to_properties(outputs, secret), to_properties(refreshed, secret)
        )

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        resource = self._type(request.type)
        olds, news = plain_map(request.olds), plain_map(request.news)
        secret = secret_keys(request.news) | resource.secret_outputs
        if request.preview:
            kept = {k: olds[k] for k in resource.computed if k in olds and k not in news}
            changing = {k: UNKNOWN for k in resource.volatile}
            outputs = {**kept, **news, **changing, "id": request.resource_id}
            return UpdateResponse(to_properties(outputs, secret))
        computed = await resource.update(self.context, request.resource_id, olds, news)
        outputs = {**news, **computed, "id": request.resource_id}
        return UpdateResponse(to_properties(outputs, secret))

    async def delete(self, request: DeleteRequest) -> None:
        resource = self._type(request.type)
        await resource.delete(self.context, request.resource_id, plain_map(request.properties))


def main() -> None:
    server.main(sys.argv[1:], VERSION, CloudflareProvider())


if __name__ == "__main__":
    main()
