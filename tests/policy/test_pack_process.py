"""The CrossGuard pack as the Pulumi CLI runs it: `python -m pulumi.policy <engine> policy` in a
child process, with the stack config in PULUMI_CONFIG, spoken to over the analyzer gRPC protocol.

This is what `pulumi preview --policy-pack policy` does minus the CLI itself (a Go binary that
cannot be installed here): the engine side of the conversation is played by this test.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi.runtime.proto import analyzer_pb2_grpc

from policy.crossguard import PACK_NAME
from stacks.guards import rules
from tests.policy.builders import urn
from tests.support.project import REPO, platform_of

SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
STARTUP_SECONDS = 60


def struct(value: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(value)
    return s


@pytest.fixture(scope="module")
def analyzer():
    env = {
        **os.environ,
        "PULUMI_CONFIG": json.dumps({"edge-platform:platform": json.dumps(platform_of("prod"))}),
        "PULUMI_PROJECT": "edge-platform",
        "PULUMI_STACK": "prod",
        "PULUMI_DRY_RUN": "true",
    }
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(REPO / "policy")],
        cwd=REPO / "policy",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], STARTUP_SECONDS)
        port = process.stdout.readline().decode().strip() if ready else ""
        if not port.isdigit():
            process.kill()
            pytest.fail(f"the pack did not start: {process.stderr.read().decode()[-2000:]}")
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.terminate()
        process.wait(timeout=10)


def diagnostics(response) -> list[tuple[str, str]]:
    return sorted((d.policyName, d.urn) for d in response.diagnostics)


def test_the_pack_offers_every_rule_as_a_mandatory_policy(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == PACK_NAME
    assert [p.name for p in info.policies] == [r.name for r in rules.RULES]
    assert {p.enforcementLevel for p in info.policies} == {proto.MANDATORY}
    with_config = {p.name for p in info.policies if p.configSchema.properties}
    assert with_config == {r.name for r in rules.RULES if r.uses_config}


def test_a_resource_violation_is_reported_without_the_secret_value(analyzer):
    auth = urn(rules.WORKERS_SCRIPT, "auth", parents=("edge:cloudflare:Worker",))
    request = proto.AnalyzeRequest(
        type=rules.WORKERS_SCRIPT,
        name="auth",
        urn=auth,
        properties=struct(
            {
                "scriptName": "auth",
                "contentSha256": UNKNOWN_STRING,
                "bindings": [
                    {
                        "name": "API_KEY",
                        "type": "plain_text",
                        "text": {**SECRET_SIG, "value": "s3cr3t-value"},
                    },
                    {"name": "LOG_LEVEL", "type": "plain_text", "text": "info"},
                ],
            }
        ),
        options=proto.AnalyzerResourceOptions(protect=False),
    )
    response = analyzer.Analyze(request)
    assert diagnostics(response) == [("secret-binding-not-plain-text", "")]
    found = response.diagnostics[0]
    assert found.enforcementLevel == proto.MANDATORY
    assert "binding API_KEY of worker 'auth'" in found.message
    assert "s3cr3t-value" not in found.message


def stack_request(*bindings: dict) -> tuple[str, proto.AnalyzeStackRequest]:
    auth = urn(rules.WORKERS_SCRIPT, "auth", parents=("edge:cloudflare:Worker",))
    script = proto.AnalyzerResource(
        type=rules.WORKERS_SCRIPT,
        name="auth",
        urn=auth,
        properties=struct({"scriptName": "auth", "bindings": list(bindings)}),
        options=proto.AnalyzerResourceOptions(protect=False),
    )
    return auth, proto.AnalyzeStackRequest(resources=[script])


def test_external_workers_reach_the_stack_policy_from_the_stack_config(analyzer):
    auth, request = stack_request(
        {"name": "LEGACY", "type": "service", "service": "cosmos-mail-worker"},
        {"name": "NOWHERE", "type": "service", "service": "nowhere"},
    )
    response = analyzer.AnalyzeStack(request)
    # cosmos-mail-worker is in Pulumi.prod.yaml's externalWorkers, handed over in PULUMI_CONFIG.
    assert diagnostics(response) == [("service-binding-target-exists", auth)]
    assert "'nowhere'" in response.diagnostics[0].message


def test_policy_config_overrides_the_stack_config(analyzer):
    name = "service-binding-target-exists"
    configure = proto.ConfigureAnalyzerRequest(
        policyConfig={
            name: proto.PolicyConfig(
                enforcementLevel=proto.MANDATORY, properties=struct({"externalWorkers": []})
            )
        }
    )
    analyzer.Configure(configure)
    try:
        auth, request = stack_request(
            {"name": "LEGACY", "type": "service", "service": "cosmos-mail-worker"}
        )
        response = analyzer.AnalyzeStack(request)
        assert diagnostics(response) == [(name, auth)]
    finally:
        analyzer.Configure(proto.ConfigureAnalyzerRequest())


def test_the_pack_hands_its_port_to_the_cli_without_pythonunbuffered():
    """As the CLI's language host starts it (`python policy ADDRESS`, stdout a pipe) on a
    machine without PYTHONUNBUFFERED: the port must arrive, or `pulumi up --policy-pack` waits
    forever (pulumi_policy writes it without a flush)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env |= {
        "PULUMI_CONFIG": json.dumps({"edge-platform:platform": json.dumps(platform_of("prod"))}),
        "PULUMI_PROJECT": "edge-platform",
        "PULUMI_STACK": "prod",
    }
    process = subprocess.Popen(
        [sys.executable, str(REPO / "policy"), "127.0.0.1:1"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], STARTUP_SECONDS)
        port = process.stdout.readline().decode().strip() if ready else ""
    finally:
        process.kill()
        process.wait(timeout=10)
    assert port.isdigit(), "no port on stdout: the CLI would wait for it forever"
