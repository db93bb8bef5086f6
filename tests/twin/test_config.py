"""What the twin builds from a stack (no Node needed): names, settings and overrides as the user
gives them, and the reading of what workerd found in a bundle."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

import plan.cli  # noqa: F401  (registers the commands; plan.commands.wrangler needs it first)
from plan.commands.wrangler import load_platform
from plan.twin import config, runtime_check, secrets
from plan.twin.config import Overrides, TwinConfigError
from tests.twin.harness import scratch_project


def staging(tmp_path: Path, edit=None):
    return load_platform("staging", scratch_project(tmp_path / "project", edit))


def build(loaded, **overrides):
    values = {name: f"value-of-{name}" for name in config.secret_names(loaded.spec)}
    return config.build(
        loaded,
        next_port=itertools.count(9000).__next__,
        local_values=values,
        overrides=Overrides(**overrides),
    )


def worker(twin, name):
    (found,) = [w for w in twin.workers if w["name"] == name]
    return found


def test_the_consumer_runs_with_the_stack_settings(tmp_path):
    def settings(platform):
        consumer = platform["workers"]["bookmarks-mail-worker"]["consumes"][0]
        consumer.update(batchSize=7, maxRetries=4, retryDelaySeconds=12, maxWaitTimeMs=2500)

    twin = build(staging(tmp_path, settings))
    consumers = worker(twin, "bookmarks-mail-worker-staging")["queueConsumers"]
    assert consumers == {
        "mail-outbox-staging": {
            "maxBatchSize": 7,
            "maxBatchTimeout": 2.5,  # miniflare takes seconds
            "maxRetries": 4,
            "retryDelay": 12,
            "deadLetterQueue": "mail-outbox-dlq-staging",
        }
    }
    inspector = worker(twin, config.QUEUE_INSPECTOR)
    assert list(inspector["queueConsumers"]) == ["mail-outbox-dlq-staging"]
    assert any("maxConcurrency 5 is not emulated" in note for note in twin.notes)


def test_ports_follow_the_listing_and_the_sink_is_the_postmark_api_url(tmp_path):
    twin = build(staging(tmp_path))
    assert [(e.script, e.port) for e in twin.endpoints] == [
        ("bookmarks-mail-worker-staging", 9000),
        ("auth-staging", 9001),
        ("dispatcher-staging", 9002),
        ("cosmos-mail-worker-staging", 9003),
        (config.POSTMARK_SINK, 9004),
        (config.QUEUE_INSPECTOR, 9005),
    ]
    mail = worker(twin, "bookmarks-mail-worker-staging")
    assert mail["bindings"][config.POSTMARK_API_URL] == "http://127.0.0.1:9004"
    assert config.POSTMARK_API_URL not in worker(twin, "auth-staging").get("bindings", {})


def test_a_var_sets_a_plain_binding_everywhere_and_replaces_the_sink(tmp_path):
    twin = build(staging(tmp_path), vars={"POSTMARK_API_URL": "http://127.0.0.1:1", "X": "y"})
    assert config.POSTMARK_SINK not in [e.script for e in twin.endpoints]
    for name in ("auth-staging", "bookmarks-mail-worker-staging", "dispatcher-staging"):
        assert worker(twin, name)["bindings"]["POSTMARK_API_URL"] == "http://127.0.0.1:1"
    assert worker(twin, "auth-staging")["bindings"]["LOG_LEVEL"] == "debug"  # the stack's own


def test_a_var_cannot_replace_a_binding_of_another_kind(tmp_path):
    with pytest.raises(TwinConfigError, match="binds MAIL_STATE as a kv binding"):
        build(staging(tmp_path), vars={"MAIL_STATE": "x"})


def test_a_stub_must_name_an_external_worker_or_tenant_script(tmp_path):
    with pytest.raises(TwinConfigError, match=r"those are: cosmos-mail-worker-staging\)"):
        build(staging(tmp_path), stubs={"cosmos-mail-worker": tmp_path / "x.js"})


def test_entrypoints_are_kept_for_declared_workers_and_dropped_for_built_in_stubs(tmp_path):
    def entrypoints(platform):
        bindings = platform["workers"]["auth"]["bindings"]
        bindings[0]["entrypoint"] = "Mailer"
        bindings.append({"name": "COSMOS", "service": "cosmos-mail-worker-staging"})
        bindings[-1]["entrypoint"] = "Mailer"

    twin = build(staging(tmp_path, entrypoints))
    services = worker(twin, "auth-staging")["serviceBindings"]
    assert services == {
        "MAIL_SERVICE": {"name": "bookmarks-mail-worker-staging", "entrypoint": "Mailer"},
        "COSMOS": "cosmos-mail-worker-staging",
    }
    assert any("its stub has only a default entrypoint" in note for note in twin.notes)


def test_a_secret_bound_twice_is_one_secret(tmp_path):
    def share(platform):
        platform["workers"]["auth"]["bindings"].append(
            {"name": "TURNSTILE", "secret": "TURNSTILE_API_KEY"}
        )

    twin = build(staging(tmp_path, share))
    seeded = [s for s in twin.secret_seeds if s["value"] == "value-of-TURNSTILE_API_KEY"]
    assert len(seeded) == 1
    assert worker(twin, "auth-staging")["secretsStoreSecrets"]["TURNSTILE"] == {
        "store_id": "e3b1c9a7d5f24e68b0a2c4d6e8f0a1b3",
        "secret_name": "TURNSTILE_API_KEY_STAGING",
    }


def test_local_values_come_from_the_file_then_the_environment_then_are_generated(tmp_path):
    file = tmp_path / "twin.secrets"
    file.write_text('# comment\nA="from file"\n')
    environ = {"EDGE_TWIN_SECRET_A": "env a", "EDGE_TWIN_SECRET_B": "env b"}
    values = secrets.resolve(["A", "B", "C", "D"], secrets_file=file, environ=environ)
    assert (values["A"].value, values["A"].source) == ("from file", f"from {file}")
    assert (values["B"].value, values["B"].source) == ("env b", "from $EDGE_TWIN_SECRET_B")
    assert values["C"].source == "generated" and values["C"].value != values["D"].value
    assert "from file" not in repr(values["A"])


def test_the_redactor_masks_every_value():
    redact = secrets.Redactor(["abc", "abcdef"])
    assert redact("token abcdef and abc") == "token [secret] and [secret]"


def results(mail_exports, auth_exports=None, dispatcher_exports=None):
    fetch = {"kind": "object", "methods": ["fetch"]}
    return [
        {"name": "bookmarks-mail-worker-staging", "loaded": True, "exports": mail_exports},
        {"name": "auth-staging", "loaded": True, "exports": auth_exports or {"default": fetch}},
        {
            "name": "dispatcher-staging",
            "loaded": True,
            "exports": dispatcher_exports or {"default": fetch},
        },
    ]


def test_a_class_default_export_with_a_queue_method_consumes(tmp_path):
    loaded = staging(tmp_path)
    handlers = {"kind": "WorkerEntrypoint", "methods": ["fetch", "queue"]}
    assert runtime_check.problems(loaded, results({"default": handlers})) == []


def test_durable_object_exports_register_a_worker(tmp_path):
    loaded = staging(tmp_path)
    mail = {"default": {"kind": "object", "methods": ["fetch", "queue"]}}
    auth = {"Counter": {"kind": "DurableObject", "methods": ["fetch"]}}
    assert runtime_check.problems(loaded, results(mail, auth_exports=auth)) == []


def test_an_object_with_handlers_is_a_named_entrypoint(tmp_path):
    def bind(platform):
        platform["workers"]["auth"]["bindings"][0]["entrypoint"] = "Admin"

    loaded = staging(tmp_path, bind)
    exports = {
        "default": {"kind": "object", "methods": ["fetch", "queue"]},
        "Admin": {"kind": "object", "methods": ["fetch"]},
    }
    assert runtime_check.problems(loaded, results(exports)) == []
    exports["Admin"] = {"kind": "object", "methods": ["helper"]}
    (problem,) = runtime_check.problems(loaded, results(exports))
    assert problem.path == "workers.bookmarks-mail-worker.bundle"
    assert "does not export entrypoint 'Admin'" in problem.message
