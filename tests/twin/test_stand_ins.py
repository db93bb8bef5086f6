"""What the twin puts where miniflare has nothing local or the stack owns nothing: the dispatch
namespace stand-in, stubs for external workers (replaceable), and masked local secrets."""

from __future__ import annotations

import httpx
import pytest

from tests.twin.harness import (
    DevTwin,
    get_json,
    require_twin,
    scratch_project,
    set_bundle,
    tagged_processes,
    wait_until,
    write_bundle,
)

LEAKY = """
export default {
  async fetch(request, env) {
    console.log("leaky worker read", await env.TOKEN.get());
    return new Response("logged");
  },
};
"""
CUSTOM_STUB = "export default { fetch() { return Response.json({ custom: true }); } };\n"
LOCAL_VALUE = "local-turnstile-7f3a9c"


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    """Staging plus a tenant script `acme`, a worker that logs a secret it binds, and the
    external mail worker replaced by a module of the test's own."""
    require_twin()
    root = tmp_path_factory.mktemp("stand-ins")
    project = root / "project"

    def edit(platform):
        platform["dispatchNamespaces"]["tenants"]["tenantScripts"] = {"acme": {}}
        platform["workers"]["leaky"] = leaky = {
            "compatibilityDate": "2025-09-01",
            "bindings": [{"name": "TOKEN", "secret": "TURNSTILE_API_KEY"}],
        }
        set_bundle(project, leaky, LEAKY, file="leaky.js")

    scratch_project(project, edit)
    stub = write_bundle(root / "custom-stub.js", CUSTOM_STUB)
    secrets = root / "twin.secrets"
    secrets.write_text(f"TURNSTILE_API_KEY={LOCAL_VALUE}\n")
    args = ["--config-dir", str(project), "dev", "staging", "--port", "0"]
    args += ["--secrets", str(secrets), "--stub", f"cosmos-mail-worker-staging={stub}"]
    dev = DevTwin(args)
    try:
        dev.wait_ready()
        yield dev
    finally:
        dev.stop()
        assert tagged_processes(dev.tag) == []


def test_the_dispatcher_reaches_tenant_scripts_through_the_stand_in(twin):
    answer = get_json(f"{twin.url('dispatcher-staging')}/acme/bookmarks")
    assert answer == {
        "tenant": "acme",
        "namespace": "tenants-staging",
        "method": "GET",
        "path": "/acme/bookmarks",
    }
    unknown = httpx.get(f"{twin.url('dispatcher-staging')}/nobody/bookmarks", timeout=10)
    assert unknown.status_code == 404 and unknown.json() == {"error": "no tenant 'nobody'"}
    assert any("dispatch namespace tenants-staging: a stand-in" in line for line in twin.lines)


def test_an_external_worker_stub_can_be_replaced(twin):
    assert get_json(twin.url("cosmos-mail-worker-staging")) == {"custom": True}


def test_local_secret_values_are_masked_in_what_workers_log(twin):
    assert httpx.get(twin.url("leaky-staging"), timeout=10).text == "logged"
    wait_until(lambda: "leaky worker read [secret]" in twin.output, what="the worker's log line")
    assert LOCAL_VALUE not in twin.output
    assert any(
        line.startswith("secrets: ") and f"TURNSTILE_API_KEY (from {twin_secrets(twin)})" in line
        for line in twin.lines
    )


def twin_secrets(twin) -> str:
    return twin.process.args[twin.process.args.index("--secrets") + 1]
