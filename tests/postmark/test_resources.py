"""The resource classes under Pulumi's mock engine: type tokens, secret outputs, secret inputs."""

from __future__ import annotations

import base64
from typing import Any

import pulumi
import pytest
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from components.mail.postmark import (
    PostmarkDomain,
    PostmarkDomainArgs,
    PostmarkDomainVerification,
    PostmarkDomainVerificationArgs,
    PostmarkMessageStream,
    PostmarkMessageStreamArgs,
    PostmarkServer,
    PostmarkServerArgs,
    PostmarkWebhook,
    PostmarkWebhookArgs,
    Trigger,
    WebhookHttpAuth,
    WebhookTriggers,
)
from tools.localcloud.postmark_server import fake_token

MOCK_ACCOUNT_SECRET = fake_token("account")


class EchoMocks(pulumi.runtime.Mocks):
    """Every resource gets an ID and its inputs back as outputs; servers also get the outputs
    Postmark would compute."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        outputs = dict(args.inputs)
        if args.typ.endswith(":Server"):
            outputs.update(server_id="4242", api_tokens=["fake-server-token-mock"])
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """Keeps the raw registration requests (type, secret outputs, serialized inputs)."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations[request.name] = {
                "type": request.type,
                "secret_outputs": set(request.additionalSecretOutputs),
                "inputs": rpc.deserialize_properties(request.object, keep_unknowns=True),
            }
        return super().RegisterResource(request)


@pytest.fixture
def monitor(monkeypatch: pytest.MonkeyPatch) -> RecordingMonitor:
    monkeypatch.setenv("POSTMARK_ACCOUNT_TOKEN", MOCK_ACCOUNT_SECRET)  # must not end up in inputs
    mocks = EchoMocks()
    recording = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="proj", stack="test", preview=False, monitor=recording)
    return recording


def declare_everything() -> dict[str, pulumi.CustomResource]:
    server = PostmarkServer("server", PostmarkServerArgs(name="acme-prod-mock"))
    domain = PostmarkDomain("domain", PostmarkDomainArgs(name="mail.example.com"))
    return {
        "server": server,
        "domain": domain,
        "verification": PostmarkDomainVerification(
            "verification",
            PostmarkDomainVerificationArgs(
                domain_id=domain.domain_id,
                dkim_host=domain.dkim_host,
                dkim_text_value=domain.dkim_text_value,
            ),
        ),
        "webhook": PostmarkWebhook(
            "webhook",
            PostmarkWebhookArgs(
                server_id=server.server_id,
                url="https://example.com/hook",
                triggers=WebhookTriggers(delivery=Trigger(enabled=True)),
                http_auth=WebhookHttpAuth(username="u", password=fake_token("basic-password")),
                http_headers={"X-Webhook-Secret": "fake-shared-secret"},  # plain on purpose
            ),
        ),
        "stream": PostmarkMessageStream(
            "stream",
            PostmarkMessageStreamArgs(
                server_id=server.server_id,
                stream_id="notices",
                stream_type="Transactional",
                name="Notices",
            ),
        ),
    }


EXPECTED = {
    "server": ("Server", {"api_tokens", "inbound_hash", "inbound_address"}),
    "domain": ("Domain", set()),
    "verification": ("DomainVerification", set()),
    "webhook": ("Webhook", {"http_auth", "http_headers"}),
    "stream": ("MessageStream", set()),
}


@pulumi.runtime.test
def test_type_tokens_and_secret_outputs(monitor: RecordingMonitor):
    resources = declare_everything()

    def check(_):
        for name, (type_name, secret_outputs) in EXPECTED.items():
            registered = monitor.registrations[name]
            assert registered["type"] == f"pulumi-python:dynamic/postmark:{type_name}"
            assert registered["secret_outputs"] == secret_outputs

    return pulumi.Output.all(*[r.urn for r in resources.values()]).apply(check)


@pulumi.runtime.test
def test_webhook_credentials_are_secret_inputs(monitor: RecordingMonitor):
    resources = declare_everything()

    def check(_):
        hook_inputs = monitor.registrations["webhook"]["inputs"]
        assert rpc.is_rpc_secret(hook_inputs["http_auth"])
        assert rpc.is_rpc_secret(hook_inputs["http_headers"])
        assert not rpc.is_rpc_secret(hook_inputs["url"])

    return pulumi.Output.all(*[r.urn for r in resources.values()]).apply(check)


@pulumi.runtime.test
def test_serialized_providers_in_inputs_hold_no_token(monitor: RecordingMonitor):
    resources = declare_everything()

    def check(_):
        for name in EXPECTED:
            provider = rpc.unwrap_rpc_secret(monitor.registrations[name]["inputs"]["__provider"])
            assert MOCK_ACCOUNT_SECRET.encode() not in base64.b64decode(provider)

    return pulumi.Output.all(*[r.urn for r in resources.values()]).apply(check)


@pulumi.runtime.test
def test_pre_declared_outputs_are_reachable_as_attributes(monitor: RecordingMonitor):
    resources = declare_everything()
    server = resources["server"]
    for name, attrs in {
        "server": ("server_id", "api_tokens", "inbound_hash", "server_link", "inbound_address"),
        "domain": ("domain_id", "dkim_host", "dkim_text_value", "return_path_cname_value"),
        "verification": ("dkim_verified", "return_path_verified"),
        "webhook": ("webhook_id", "http_auth", "http_headers"),
    }.items():
        for attr in attrs:
            assert isinstance(getattr(resources[name], attr), pulumi.Output), (name, attr)

    def check(values):
        # (The mock monitor does not apply additional_secret_outputs; the engine does, and
        # test_type_tokens_and_secret_outputs checks they are requested.)
        assert values == ["4242", ["fake-server-token-mock"]]

    return pulumi.Output.all(server.server_id, server.api_tokens).apply(check)
