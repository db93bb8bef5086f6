"""`python -m plan wrangler-config`: a worker's wrangler.jsonc with the stack's bindings and names.

The project is the staging config plus the binding kinds it lacks (a service entrypoint, secret
text, a producer to a dead-letter queue, a second consumed queue with fractional batch timeout).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from plan.cli import app
from tests.support.project import bundle_file, evaluate_project, platform_of, write_project

STACK = "staging"
SESSION_KEY_CIPHERTEXT = "v1:session-key-ciphertext-do-not-print"
STORE_ID = "e3b1c9a7d5f24e68b0a2c4d6e8f0a1b3"  # declared in Pulumi.staging.yaml

# What `pulumi stack output --json -s staging` would print once the stack is up.
OUTPUTS: dict[str, Any] = {
    "environment": "staging",
    "accountId": "7d2a9c41e5b84f06a3c1b2d9e8f7a6c5",
    "kvNamespaces": {
        "mail-state": {"id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "title": "mail-state-staging"}
    },
    "d1Databases": {
        "mail-metadata": {
            "id": "7d3c1b2a-0000-4e5f-8a9b-0c1d2e3f4a5b",
            "name": "mail-metadata-staging",
        }
    },
    "queues": {
        "mail-outbox": {
            "id": "q-outbox",
            "name": "mail-outbox-staging",
            "deadLetterQueue": {"id": "q-outbox-dlq", "name": "mail-outbox-dlq-staging"},
        },
        "audit": {
            "id": "q-audit",
            "name": "audit-staging",
            "deadLetterQueue": {"id": "q-audit-dlq", "name": "audit-dlq-staging"},
        },
    },
    "dispatchNamespaces": {"tenants": {"name": "tenants-staging"}},
    "workers": {
        "auth": {"scriptName": "auth-staging"},
        "bookmarks-mail-worker": {"scriptName": "bookmarks-mail-worker-staging"},
        "dispatcher": {"scriptName": "dispatcher-staging"},
    },
    "secretsStore": {"id": STORE_ID},
    "secrets": {
        "POSTMARK_SERVER_TOKEN": {"name": "POSTMARK_SERVER_TOKEN_STAGING"},
        "RESEND_API_KEY": {"name": "RESEND_API_KEY_STAGING"},
        "TURNSTILE_API_KEY": {"name": "TURNSTILE_API_KEY_STAGING"},
    },
}


def platform() -> dict[str, Any]:
    p = platform_of(STACK)
    p["queues"]["audit"] = {"deadLetterQueue": "audit-dlq"}
    workers = p["workers"]
    workers["auth"]["bindings"] += [
        {"name": "MAIL_RPC", "service": "bookmarks-mail-worker-staging", "entrypoint": "MailRpc"},
        {"name": "SESSION_KEY", "secretText": "sessionKey"},
        {"name": "AUDIT", "queue": "audit"},
    ]
    workers["bookmarks-mail-worker"]["bindings"].append(
        {"name": "REDRIVE", "queue": "mail-outbox-dlq"}
    )
    workers["dispatcher"]["consumes"] = [
        {"queue": "audit", "batchSize": 50, "maxRetries": 2, "maxWaitTimeMs": 2500}
    ]
    return p


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return write_project(
        tmp_path_factory.mktemp("wrangler"),
        STACK,
        platform(),
        extra_config={"edge-platform:sessionKey": {"secure": SESSION_KEY_CIPHERTEXT}},
        bundles=False,
    )


def run(project: Path, *args: str, outputs: dict | None = None, tmp: Path | None = None):
    """Invoke the command; `outputs` is written to a file passed as --outputs."""
    argv = ["--config-dir", str(project), "wrangler-config", *args]
    if outputs is not None:
        assert tmp is not None
        path = tmp / "outputs.json"
        path.write_text(json.dumps(outputs))
        argv += ["--outputs", str(path)]
    return CliRunner().invoke(app, argv)


def parse_jsonc(text: str) -> dict[str, Any]:
    """JSON after dropping `//` comment lines (the only comments the generator writes)."""
    return json.loads("\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("//")))


def header(text: str) -> str:
    return "\n".join(ln for ln in text.splitlines() if ln.startswith("//"))


def generate(project: Path, tmp: Path, worker: str, outputs: dict | None = None) -> dict[str, Any]:
    result = run(project, STACK, worker, outputs=outputs or OUTPUTS, tmp=tmp)
    assert result.exit_code == 0, result.output
    return parse_jsonc(result.stdout)


# --- names from the config, ids from the outputs file --------------------------------------------


def test_mail_worker_gets_stack_names_and_ids_from_outputs(project, tmp_path):
    config = generate(project, tmp_path, "bookmarks-mail-worker")

    assert config["name"] == "bookmarks-mail-worker-staging"
    assert config["compatibility_date"] == "2025-09-01"
    assert config["compatibility_flags"] == ["nodejs_compat"]
    assert config["kv_namespaces"] == [
        {"binding": "MAIL_STATE", "id": OUTPUTS["kvNamespaces"]["mail-state"]["id"]}
    ]
    assert config["d1_databases"] == [
        {
            "binding": "MAIL_DB",
            "database_name": "mail-metadata-staging",
            "database_id": OUTPUTS["d1Databases"]["mail-metadata"]["id"],
        }
    ]
    assert config["queues"]["producers"] == [
        {"binding": "MAIL_OUTBOX", "queue": "mail-outbox-staging"},
        {"binding": "REDRIVE", "queue": "mail-outbox-dlq-staging"},
    ]
    assert config["queues"]["consumers"] == [
        {
            "queue": "mail-outbox-staging",
            "max_batch_size": 10,
            "max_batch_timeout": 5,  # maxWaitTimeMs 5000
            "max_retries": 5,
            "retry_delay": 30,
            "dead_letter_queue": "mail-outbox-dlq-staging",
            "max_concurrency": 5,
        }
    ]
    assert config["secrets_store_secrets"] == [
        {"binding": name, "store_id": STORE_ID, "secret_name": f"{name}_STAGING"}
        for name in ("POSTMARK_SERVER_TOKEN", "RESEND_API_KEY", "TURNSTILE_API_KEY")
    ]
    assert "services" not in config and "vars" not in config


def test_auth_gets_services_vars_and_producer(project, tmp_path):
    config = generate(project, tmp_path, "auth")

    assert config["name"] == "auth-staging"
    assert config["services"] == [
        {
            "binding": "MAIL_RPC",
            "service": "bookmarks-mail-worker-staging",
            "entrypoint": "MailRpc",
        },
        {"binding": "MAIL_SERVICE", "service": "bookmarks-mail-worker-staging"},
    ]
    assert config["vars"] == {"LOG_LEVEL": "debug"}
    assert config["queues"] == {"producers": [{"binding": "AUDIT", "queue": "audit-staging"}]}


def test_dispatcher_gets_namespace_and_consumer_timeout_in_seconds(project, tmp_path):
    config = generate(project, tmp_path, "dispatcher")

    assert config["dispatch_namespaces"] == [{"binding": "TENANTS", "namespace": "tenants-staging"}]
    assert config["queues"] == {
        "consumers": [
            {
                "queue": "audit-staging",
                "max_batch_size": 50,
                "max_batch_timeout": 2.5,  # maxWaitTimeMs 2500
                "max_retries": 2,
                "retry_delay": 0,
                "dead_letter_queue": "audit-dlq-staging",
                # no maxConcurrency in config: left unset so Cloudflare autoscales
            }
        ]
    }
    assert "compatibility_flags" not in config


def test_script_name_selects_the_same_worker(project, tmp_path):
    assert generate(project, tmp_path, "auth-staging") == generate(project, tmp_path, "auth")


def test_secret_text_is_listed_in_a_comment_never_written(project, tmp_path):
    result = run(project, STACK, "auth", outputs=OUTPUTS, tmp=tmp_path)
    assert result.exit_code == 0, result.output

    config = parse_jsonc(result.stdout)
    assert "SESSION_KEY" not in json.dumps(config)
    comments = header(result.stdout)
    assert "SESSION_KEY (stack config key sessionKey)" in comments
    assert "wrangler secret put" in comments and ".dev.vars" in comments
    assert SESSION_KEY_CIPHERTEXT not in result.output
    assert "offline-stand-in" not in result.output  # the stack file's secret stand-in


def test_header_says_generated_from_which_stack_and_outputs(project, tmp_path):
    result = run(project, STACK, "auth", outputs=OUTPUTS, tmp=tmp_path)
    lines = result.stdout.splitlines()

    assert lines[0].startswith("// Generated by `python -m plan wrangler-config staging auth")
    comments = header(result.stdout)
    assert "Do not edit by hand" in comments
    assert str(tmp_path / "outputs.json") in comments
    assert "Pulumi.staging.yaml" in comments


def test_output_is_deterministic(project, tmp_path):
    first = run(project, STACK, "bookmarks-mail-worker", outputs=OUTPUTS, tmp=tmp_path)
    shuffled = json.loads(json.dumps(OUTPUTS), object_pairs_hook=lambda kv: dict(reversed(kv)))
    second = run(project, STACK, "bookmarks-mail-worker", outputs=shuffled, tmp=tmp_path)
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout


# --- main: the bundle the stack uploads, or --main ------------------------------------------------


def test_out_file_points_main_at_the_bundle_relative_to_itself(project, tmp_path):
    out = tmp_path / "dev" / "wrangler.jsonc"
    result = run(project, STACK, "auth", "--out", str(out), outputs=OUTPUTS, tmp=tmp_path)
    assert result.exit_code == 0, result.output

    config = parse_jsonc(out.read_text())
    bundle = project / bundle_file(platform()["workers"]["auth"])
    assert (out.parent / config["main"]).resolve() == bundle.resolve()
    assert config["no_bundle"] is True  # the bundle is already built: run it as deployed
    assert result.stdout == ""


def test_main_option_points_at_source_and_lets_wrangler_bundle(project, tmp_path):
    config_text = run(
        project, STACK, "auth", "--main", "src/index.ts", outputs=OUTPUTS, tmp=tmp_path
    ).stdout
    config = parse_jsonc(config_text)
    assert config["main"] == "src/index.ts"
    assert "no_bundle" not in config


# --- errors: exit 2, say what and what to do ------------------------------------------------------


def test_missing_ids_are_named_by_output_key_path(project, tmp_path):
    outputs = json.loads(json.dumps(OUTPUTS))
    del outputs["kvNamespaces"]["mail-state"]["id"]
    del outputs["d1Databases"]

    result = run(project, STACK, "bookmarks-mail-worker", outputs=outputs, tmp=tmp_path)

    assert result.exit_code == 2
    assert "kvNamespaces.mail-state.id" in result.stderr and "MAIL_STATE" in result.stderr
    assert "d1Databases.mail-metadata.id" in result.stderr and "MAIL_DB" in result.stderr
    assert f"pulumi stack output --json -s staging > {tmp_path / 'outputs.json'}" in result.stderr
    assert result.stdout == ""


def test_missing_secrets_store_id_is_an_error(project, tmp_path):
    outputs = {k: v for k, v in OUTPUTS.items() if k != "secretsStore"}
    result = run(project, STACK, "bookmarks-mail-worker", outputs=outputs, tmp=tmp_path)
    assert result.exit_code == 2
    assert "secretsStore.id" in result.stderr


def test_worker_without_ids_needs_none(project, tmp_path):
    """auth binds no KV/D1/secret: an outputs file without those ids is enough."""
    outputs = {"environment": "staging"}
    assert generate(project, tmp_path, "auth", outputs)["name"] == "auth-staging"


def test_outputs_of_another_stack_are_refused(project, tmp_path):
    outputs = {**OUTPUTS, "environment": "prod"}
    result = run(project, STACK, "auth", outputs=outputs, tmp=tmp_path)
    assert result.exit_code == 2
    assert "'prod' stack" in result.stderr


def test_stale_outputs_naming_another_database_are_refused(project, tmp_path):
    outputs = json.loads(json.dumps(OUTPUTS))
    outputs["d1Databases"]["mail-metadata"]["name"] = "mail-metadata-old-staging"
    result = run(project, STACK, "bookmarks-mail-worker", outputs=outputs, tmp=tmp_path)
    assert result.exit_code == 2
    assert "d1Databases.mail-metadata.name" in result.stderr


def test_missing_outputs_file_says_how_to_write_it(project, tmp_path):
    missing = tmp_path / "nope.json"
    result = CliRunner().invoke(
        app,
        ["--config-dir", str(project), "wrangler-config", STACK, "auth", "--outputs", str(missing)],
    )
    assert result.exit_code == 2
    assert f"pulumi stack output --json -s staging > {missing}" in result.stderr


def test_worker_not_in_the_stack_lists_its_workers(project, tmp_path):
    result = run(project, STACK, "cosmos-mail-worker-staging", outputs=OUTPUTS, tmp=tmp_path)

    assert result.exit_code == 2
    assert "worker 'cosmos-mail-worker-staging' is not in stack 'staging'" in result.stderr
    assert "externalWorkers" in result.stderr
    for worker in ("auth (auth-staging)", "bookmarks-mail-worker", "dispatcher"):
        assert worker in result.stderr
    assert result.stdout == ""


def test_invalid_config_exits_2_with_its_key_path(tmp_path):
    p = platform()
    p["workers"]["auth"]["bindings"][0]["service"] = "nope-staging"
    root = write_project(
        tmp_path / "bad",
        STACK,
        p,
        extra_config={"edge-platform:sessionKey": {"secure": SESSION_KEY_CIPHERTEXT}},
        bundles=False,
    )
    result = run(root, STACK, "auth", outputs=OUTPUTS, tmp=tmp_path)
    assert result.exit_code == 2
    assert "workers.auth.bindings[0].service" in result.stderr


# --- the same bindings as the version the stack deploys (mock engine) ----------------------------


@pytest.fixture(scope="module")
def plain_project(tmp_path_factory) -> Path:
    """The project without secret text: a script's bindings list holding a secret is shown only
    as [secret] by the mock engine, so this one keeps every binding comparable."""
    p = platform()
    auth = p["workers"]["auth"]
    auth["bindings"] = [b for b in auth["bindings"] if "secretText" not in b]
    return write_project(tmp_path_factory.mktemp("wrangler-plain"), STACK, p, bundles=False)


@pytest.fixture(scope="module")
def deployed(plain_project):
    """The stack under the mock engine: its outputs (what the outputs file holds) and resources."""
    return evaluate_project(plain_project, STACK)


@pytest.mark.parametrize("worker", ["auth", "bookmarks-mail-worker", "dispatcher"])
def test_every_binding_matches_the_deployed_worker_version(
    plain_project, deployed, tmp_path, worker
):
    config = generate(plain_project, tmp_path, worker, deployed.outputs)
    script_name = one_resource(deployed, "index/worker:Worker", worker).inputs["name"]
    # The worker has one version (no candidate): the one that serves all its traffic.
    [stable] = deployed.outputs["workers"][worker]["versions"]
    assert (stable["role"], stable["percentage"]) == ("stable", 100)
    inputs = one_resource(
        deployed, "workerVersion:WorkerVersion", f"{worker}-version-{stable['key']}"
    ).inputs
    assert config["name"] == script_name
    assert config["compatibility_date"] == inputs["compatibilityDate"]
    assert config.get("compatibility_flags", []) == inputs.get("compatibilityFlags", [])

    expected = wrangler_view(inputs["bindings"], deployed.outputs)
    assert bindings_of(config) == expected

    consumers = [
        r.inputs
        for r in deployed.resources
        if r.type.endswith("QueueConsumer") and r.inputs["scriptName"] == script_name
    ]
    assert config.get("queues", {}).get("consumers", []) == [
        consumer_view(c, deployed.outputs) for c in consumers
    ]


def one_resource(manifest, type_suffix: str, name: str):
    [found] = [
        r
        for r in manifest.resources
        if r.custom and r.type.endswith(type_suffix) and r.name == name
    ]
    return found


def wrangler_view(script_bindings: list[dict], outputs: dict) -> dict[str, Any]:
    """The deployed version's bindings, in wrangler's shape (secret text: absent, as wrangler
    cannot hold it)."""
    d1_names = {d["id"]: d["name"] for d in outputs["d1Databases"].values()}
    view: dict[str, Any] = {}
    for b in script_bindings:
        name, kind = b["name"], b["type"]
        if kind == "kv_namespace":
            entry = ("kv_namespaces", {"binding": name, "id": b["namespaceId"]})
        elif kind == "d1":
            entry = (
                "d1_databases",
                {"binding": name, "database_name": d1_names[b["id"]], "database_id": b["id"]},
            )
        elif kind == "queue":
            entry = ("producers", {"binding": name, "queue": b["queueName"]})
        elif kind == "service":
            service = {"binding": name, "service": b["service"]}
            if b.get("entrypoint"):
                service["entrypoint"] = b["entrypoint"]
            entry = ("services", service)
        elif kind == "secrets_store_secret":
            entry = (
                "secrets_store_secrets",
                {"binding": name, "store_id": b["storeId"], "secret_name": b["secretName"]},
            )
        elif kind == "dispatch_namespace":
            entry = ("dispatch_namespaces", {"binding": name, "namespace": b["namespace"]})
        elif kind == "plain_text":
            view.setdefault("vars", {})[name] = b["text"]
            continue
        elif kind == "secret_text":
            continue
        else:
            raise AssertionError(f"binding type {kind} has no wrangler mapping in this test")
        view.setdefault(entry[0], []).append(entry[1])
    return view


def bindings_of(config: dict[str, Any]) -> dict[str, Any]:
    view = {
        key: config[key]
        for key in (
            "kv_namespaces",
            "d1_databases",
            "services",
            "secrets_store_secrets",
            "dispatch_namespaces",
            "vars",
        )
        if key in config
    }
    if config.get("queues", {}).get("producers"):
        view["producers"] = config["queues"]["producers"]
    return view


def consumer_view(consumer: dict, outputs: dict) -> dict[str, Any]:
    queue_names = {q["id"]: q["name"] for q in outputs["queues"].values()}
    settings = consumer["settings"]
    view = {
        "queue": queue_names[consumer["queueId"]],
        "max_batch_size": settings["batchSize"],
        "max_batch_timeout": settings["maxWaitTimeMs"] / 1000,
        "max_retries": settings["maxRetries"],
        "retry_delay": settings["retryDelay"],
        "dead_letter_queue": consumer["deadLetterQueue"],
    }
    if settings.get("maxConcurrency") is not None:
        view["max_concurrency"] = settings["maxConcurrency"]
    return view
