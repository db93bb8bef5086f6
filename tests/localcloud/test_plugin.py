"""The installed wrapper starts the provider as a plugin from any directory (the engine starts
plugins in the project directory) and answers as `cloudflare` 6.23.1 over gRPC."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from tests.localcloud.harness import REPO
from tools.localcloud.cloudflare.plugin import wrapper_script


def test_the_wrapper_serves_the_plugin_protocol_from_another_directory(tmp_path: Path):
    wrapper = tmp_path / "pulumi-resource-cloudflare"
    wrapper.write_text(wrapper_script(REPO, Path(sys.executable)))
    wrapper.chmod(0o755)
    project = tmp_path / "project"
    project.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen(
        [str(wrapper), "127.0.0.1:1"],  # the engine's address; unused until a Construct call
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        port = _first_line(proc, timeout=30)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=10)
            schema = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=10)
        assert info.version == "6.23.1"
        served = json.loads(schema.schema)["resources"]
        assert "cloudflare:index/workersScript:WorkersScript" in served
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def _first_line(proc: subprocess.Popen, timeout: float) -> int:
    """The port the plugin prints first, as the engine reads it."""
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    buffer = b""
    while time.monotonic() < deadline:
        chunk = proc.stdout.read() or b""
        buffer += chunk
        if b"\n" in buffer:
            return int(buffer.split(b"\n", 1)[0])
        assert proc.poll() is None, "the plugin exited before printing its port"
        time.sleep(0.05)
    raise AssertionError("the plugin did not print its port in time")
