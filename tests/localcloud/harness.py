"""Talking to the emulator over HTTP, and calling the provider's methods as the engine would."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    CreateRequest,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    ReadRequest,
    UpdateRequest,
)

from tools.localcloud.cloudflare.props import plain_map, to_properties
from tools.localcloud.cloudflare.provider import CloudflareProvider

REPO = Path(__file__).resolve().parents[2]
ACCOUNT_ID = "0b7e3c2f1a4d4e6f8a9b0c1d2e3f4a5b"
OTHER_ACCOUNT_ID = "1c8f4d3a2b5e4f7a9b0c1d2e3f4a5b6c"
STORE_ID = "5c1f0e9d8b7a46f3a2e1d0c9b8a7f6e5"
ZONE_ID = "9d8c7b6a5f4e4d3c2b1a0f9e8d7c6b5a"
ZONE_NAME = "bookmarks.example.com"

KV = "cloudflare:index/workersKvNamespace:WorkersKvNamespace"
D1 = "cloudflare:index/d1Database:D1Database"
QUEUE = "cloudflare:index/queue:Queue"
CONSUMER = "cloudflare:index/queueConsumer:QueueConsumer"
STORE = "cloudflare:index/secretsStore:SecretsStore"
STORE_ITEM = "cloudflare:index/secretsStoreSecret:SecretsStoreSecret"
DISPATCH = (
    "cloudflare:index/workersForPlatformsDispatchNamespace:WorkersForPlatformsDispatchNamespace"
)
SCRIPT = "cloudflare:index/workersScript:WorkersScript"
DOMAIN = "cloudflare:index/workersCustomDomain:WorkersCustomDomain"
WORKER = "cloudflare:index/worker:Worker"
VERSION = "cloudflare:index/workerVersion:WorkerVersion"
DEPLOYMENT = "cloudflare:index/workersDeployment:WorkersDeployment"


def unique(prefix: str) -> str:
    """A name no other test in the module uses (tests share one emulator per module)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def module_js(text: str = "fetch") -> bytes:
    return f"export default {{ {text}() {{ return new Response('ok'); }} }};\n".encode()


@dataclass(frozen=True)
class Emulator:
    url: str
    token: str
    log: Path

    @property
    def api_url(self) -> str:
        return f"{self.url}/client/v4"

    def call(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {} if token == "" else {"Authorization": f"Bearer {token or self.token}"}
        return httpx.request(method, self.api_url + path, headers=headers, timeout=10, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The result of a call that must succeed."""
        response = self.call(method, path, **kwargs)
        body = response.json()
        assert body["success"], (response.status_code, body["errors"])
        return body["result"]

    def refused(self, method: str, path: str, **kwargs: Any) -> tuple[int, dict]:
        """Status and the one error of a call that must be refused."""
        response = self.call(method, path, **kwargs)
        body = response.json()
        assert body["success"] is False and body["result"] is None, body
        assert len(body["errors"]) == 1, body
        return response.status_code, body["errors"][0]

    def upload(self, name: str, code: bytes | None = None, **metadata: Any) -> Any:
        files = script_parts(code or module_js(), {"main_module": "index.js", **metadata})
        return self.ok("PUT", f"/accounts/{ACCOUNT_ID}/workers/scripts/{name}", files=files)

    def state(self) -> dict:
        response = httpx.get(
            f"{self.url}/__emulator/state",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def account_state(self) -> dict:
        return self.state()["accounts"][ACCOUNT_ID]


def script_parts(code: bytes, metadata: dict[str, Any]) -> list:
    return [
        ("metadata", (None, json.dumps(metadata), "application/json")),
        ("index.js", ("index.js", code, "application/javascript+module")),
    ]


def urn(pulumi_type: str, name: str = "res") -> str:
    return f"urn:pulumi:test::edge-platform::{pulumi_type}::{name}"


@dataclass
class Deployed:
    pulumi_type: str
    id: str
    outputs: dict[str, PropertyValue]
    inputs: dict[str, PropertyValue] = field(default_factory=dict)

    @property
    def plain(self) -> dict[str, Any]:
        return plain_map(self.outputs)


class ProviderHarness:
    """The provider's methods, awaited one by one as the engine calls them."""

    def __init__(self, provider: CloudflareProvider) -> None:
        self.provider = provider

    @classmethod
    def configured(cls, emulator: Emulator, cwd: Path) -> ProviderHarness:
        harness = cls(CloudflareProvider(cwd=cwd))
        args = to_properties(
            {"baseUrl": emulator.api_url, "apiToken": emulator.token}, secret={"apiToken"}
        )
        harness.run(harness.provider.configure(ConfigureRequest({}, args, True, False)))
        return harness

    @staticmethod
    def run(coroutine: Any) -> Any:
        return asyncio.run(coroutine)

    def check(
        self, pulumi_type: str, inputs: dict[str, Any], secret: Iterable[str] = ()
    ) -> CheckResponse:
        news = to_properties(inputs, secret)
        return self.run(self.provider.check(CheckRequest(urn(pulumi_type), {}, news, b"")))

    def failures(self, pulumi_type: str, inputs: dict[str, Any]) -> dict[str, str]:
        response = self.check(pulumi_type, inputs)
        return {f.property: f.reason for f in response.failures or []}

    def create(
        self,
        pulumi_type: str,
        inputs: dict[str, Any],
        secret: Iterable[str] = (),
        preview: bool = False,
    ) -> Deployed:
        checked = self.check(pulumi_type, inputs, secret)
        assert not checked.failures, [(f.property, f.reason) for f in checked.failures]
        response = self.run(
            self.provider.create(CreateRequest(urn(pulumi_type), checked.inputs, 60, preview))
        )
        return Deployed(pulumi_type, response.resource_id, response.properties, checked.inputs)

    def diff(self, resource: Deployed, inputs: dict[str, Any], secret: Iterable[str] = ()):
        news = self.check(resource.pulumi_type, inputs, secret).inputs
        request = DiffRequest(urn(resource.pulumi_type), resource.id, resource.outputs, news, [])
        response: DiffResponse = self.run(self.provider.diff(request))
        return response

    def update(
        self, resource: Deployed, inputs: dict[str, Any], secret: Iterable[str] = ()
    ) -> Deployed:
        news = self.check(resource.pulumi_type, inputs, secret).inputs
        request = UpdateRequest(
            urn(resource.pulumi_type), resource.id, resource.outputs, news, 60, [], False
        )
        response = self.run(self.provider.update(request))
        return Deployed(resource.pulumi_type, resource.id, response.properties, news)

    def read(self, resource: Deployed) -> Deployed | None:
        request = ReadRequest(
            urn(resource.pulumi_type), resource.id, resource.outputs, resource.inputs
        )
        response = self.run(self.provider.read(request))
        if not response.resource_id:
            return None
        return Deployed(resource.pulumi_type, response.resource_id, response.properties,
                        response.inputs)  # fmt: skip

    def delete(self, resource: Deployed) -> None:
        request = DeleteRequest(urn(resource.pulumi_type), resource.id, resource.outputs, 60)
        self.run(self.provider.delete(request))


def write_bundle(directory: Path, relative: str, code: bytes) -> str:
    """Write a bundle under the provider's working directory; return its SHA-256."""
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(code)
    return hashlib.sha256(code).hexdigest()
