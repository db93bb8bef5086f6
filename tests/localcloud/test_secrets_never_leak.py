"""A secret given to the provider (a Secrets Store value, a secret_text binding, the API token)
comes back only as a Pulumi secret: never in an error, a log line, the emulator's answers, its
state dump or its log, including when Cloudflare refuses the request."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime import proto

from tests.localcloud.harness import (
    ACCOUNT_ID,
    SCRIPT,
    STORE_ID,
    STORE_ITEM,
    Emulator,
    ProviderHarness,
    module_js,
    unique,
    urn,
    write_bundle,
)

CANARY = "canary-4f1d9a7e-do-not-print"


def secret_inputs(name: str, value: str, store: str = STORE_ID) -> dict:
    return {"accountId": ACCOUNT_ID, "storeId": store, "name": name, "scopes": ["workers"],
            "value": value}  # fmt: skip


def script_inputs(tmp_path: Path, name: str, text: str, extra: list | None = None) -> dict:
    digest = write_bundle(tmp_path, f"bundles/{name}.js", module_js())
    return {
        "accountId": ACCOUNT_ID,
        "scriptName": name,
        "contentFile": f"bundles/{name}.js",
        "contentSha256": digest,
        "mainModule": "index.js",
        "bindings": [
            {"name": "WEBHOOK_TOKEN", "type": "secret_text", "text": text},
            *(extra or []),
        ],
    }


@pytest.fixture
def everything_said(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture):
    """Everything the test process printed or logged, read at the end of the test."""
    caplog.set_level(logging.DEBUG)

    def said() -> str:
        out, err = capfd.readouterr()
        return out + err + "\n".join(r.getMessage() for r in caplog.records)

    return said


def test_a_store_secret_value_round_trips_only_as_a_secret(
    provider: ProviderHarness, emulator: Emulator, everything_said
):
    name = unique("KEY").upper().replace("-", "_")
    secret = provider.create(STORE_ITEM, secret_inputs(name, CANARY), secret={"value"})
    assert secret.outputs["value"].is_secret
    refreshed = provider.read(secret)
    assert refreshed.outputs["value"].is_secret and refreshed.inputs["value"].is_secret
    assert provider.diff(refreshed, secret_inputs(name, CANARY), secret={"value"}).changes is False
    rotated = provider.update(secret, secret_inputs(name, CANARY + "-2"), secret={"value"})
    assert rotated.outputs["value"].is_secret
    provider.delete(rotated)
    assert CANARY not in everything_said()
    assert CANARY not in str(emulator.state()) and CANARY not in emulator.log.read_text()


def test_a_secret_text_binding_round_trips_only_as_a_secret(
    provider: ProviderHarness, emulator: Emulator, tmp_path: Path, everything_said
):
    inputs = script_inputs(tmp_path, unique("mail"), CANARY)
    script = provider.create(SCRIPT, inputs, secret={"bindings"})
    assert script.outputs["bindings"].is_secret
    refreshed = provider.read(script)
    # The API lists the binding without its text; state keeps the program's, still secret.
    assert refreshed.outputs["bindings"].is_secret
    assert refreshed.plain["bindings"][0]["text"] == CANARY
    assert provider.diff(refreshed, inputs, secret={"bindings"}).changes is False
    provider.delete(script)
    assert CANARY not in everything_said()
    assert CANARY not in str(emulator.state()) and CANARY not in emulator.log.read_text()


def test_refusals_name_the_problem_but_not_the_secret(
    provider: ProviderHarness, emulator: Emulator, tmp_path: Path, everything_said
):
    errors = []
    unknown_store = secret_inputs("KEY", CANARY, store="e" * 32)
    with pytest.raises(Exception) as refused:
        provider.create(STORE_ITEM, unknown_store, secret={"value"})
    errors.append(str(refused.value))
    assert "secrets store" in errors[-1] and "e" * 32 in errors[-1]
    unresolved = {"name": "MAIL", "type": "service", "service": "no-such-worker"}
    with pytest.raises(Exception) as refused:
        provider.create(SCRIPT, script_inputs(tmp_path, unique("m"), CANARY, [unresolved]),
                        secret={"bindings"})  # fmt: skip
    errors.append(str(refused.value))
    assert "Could not resolve service binding 'MAIL'" in errors[-1]
    assert all(CANARY not in error for error in errors)
    assert CANARY not in everything_said() and CANARY not in emulator.log.read_text()


def test_the_grpc_layer_reports_a_refusal_without_the_secret(
    provider: ProviderHarness, emulator: Emulator
):
    """The SDK's server turns an exception into the error the engine shows (message and
    stack): neither carries the secret input."""
    servicer = ProviderServicer([], "6.23.1", provider.provider, engine_address="")
    checked = provider.check(STORE_ITEM, secret_inputs("KEY", CANARY, store="e" * 32), {"value"})
    request = proto.CreateRequest(
        urn=urn(STORE_ITEM), properties=PropertyValue.marshal_map(checked.inputs), preview=False
    )
    with pytest.raises(Exception) as refused:
        asyncio.run(servicer.Create(request, None))
    assert "Cloudflare API POST" in str(refused.value) and CANARY not in str(refused.value)


def test_check_failures_never_quote_a_secret_value(provider: ProviderHarness):
    inputs = {**secret_inputs("HAS SPACE", CANARY), "scopes": ["workers", "access"]}
    failures = provider.failures(STORE_ITEM, inputs)
    assert {"name", "scopes"} <= set(failures)
    assert all(CANARY not in reason for reason in failures.values())


def test_the_api_token_appears_in_no_error(provider: ProviderHarness, emulator: Emulator):
    with pytest.raises(Exception) as refused:
        provider.create(STORE_ITEM, secret_inputs("KEY", "v", store="e" * 32), secret={"value"})
    assert emulator.token not in str(refused.value)
    assert emulator.token not in repr(provider.provider.context.api)
    assert emulator.token not in emulator.log.read_text()
