"""The emulator over HTTP: authentication, the envelope, and each refusal the project relies on."""

from __future__ import annotations

import hashlib
import re

import httpx
import pytest

from tests.localcloud.harness import (
    ACCOUNT_ID,
    OTHER_ACCOUNT_ID,
    STORE_ID,
    ZONE_ID,
    ZONE_NAME,
    Emulator,
    module_js,
    script_parts,
    unique,
)

A = f"/accounts/{ACCOUNT_ID}"


# -- authentication and envelope --------------------------------------------------------------


def test_missing_token_is_401_and_wrong_token_is_403(emulator: Emulator):
    path = f"{A}/storage/kv/namespaces"
    assert emulator.refused("GET", path, token="")[0] == 401
    status, error = emulator.refused("GET", path, token="x" * 40)
    assert (status, error["code"]) == (403, 10000)
    assert emulator.call("GET", path).status_code == 200


def test_the_state_dump_needs_the_token_too(emulator: Emulator):
    url = f"{emulator.url}/__emulator/state"
    assert httpx.get(url, timeout=10).status_code == 401
    wrong = httpx.get(url, headers={"Authorization": "Bearer " + "x" * 40}, timeout=10)
    assert wrong.status_code == 403 and "accounts" not in wrong.json()
    assert ACCOUNT_ID in emulator.state()["accounts"]


def test_answers_use_cloudflares_envelope(emulator: Emulator):
    body = emulator.call("POST", f"{A}/storage/kv/namespaces", json={"title": unique("kv")}).json()
    assert set(body) == {"success", "errors", "messages", "result"}
    assert body["success"] is True and body["errors"] == [] and body["messages"] == []
    assert re.fullmatch(r"[0-9a-f]{32}", body["result"]["id"])


def test_an_account_that_is_not_seeded_cannot_be_routed_to(emulator: Emulator):
    path = "/accounts/ffffffffffffffffffffffffffffffff/storage/kv/namespaces"
    status, error = emulator.refused("POST", path, json={"title": "x"})
    assert (status, error["code"]) == (404, 7003)
    assert "perhaps your object identifier is invalid" in error["message"]


def test_accounts_are_separate(emulator: Emulator):
    title = unique("kv")
    emulator.ok("POST", f"{A}/storage/kv/namespaces", json={"title": title})
    other = emulator.ok("GET", f"/accounts/{OTHER_ACCOUNT_ID}/storage/kv/namespaces")
    assert title not in {n["title"] for n in other}


# -- duplicate names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/storage/kv/namespaces", lambda n: {"title": n}, 10014),
        ("/d1/database", lambda n: {"name": n}, 7502),
        ("/queues", lambda n: {"queue_name": n}, 11009),
        ("/workers/dispatch/namespaces", lambda n: {"name": n}, 100120),
        ("/workers/workers", lambda n: {"name": n}, 10034),
        ("/secrets_store/stores", lambda n: {"name": n}, 1002),
    ],
    ids=["kv", "d1", "queue", "dispatch", "worker", "store"],
)
def test_a_duplicate_name_is_refused(emulator: Emulator, path, body, code):
    name = unique("dup")
    emulator.ok("POST", A + path, json=body(name))
    status, error = emulator.refused("POST", A + path, json=body(name))
    assert (status, error["code"]) == (409, code)


def test_a_duplicate_secret_name_in_one_store_is_refused(emulator: Emulator):
    name = unique("DUP").upper().replace("-", "_")
    secret = {"name": name, "value": "v", "scopes": ["workers"]}
    emulator.ok("POST", f"{A}/secrets_store/stores/{STORE_ID}/secrets", json=[secret])
    status, _ = emulator.refused(
        "POST", f"{A}/secrets_store/stores/{STORE_ID}/secrets", json=[secret]
    )
    assert status == 409


def test_a_kv_rename_onto_a_taken_title_is_refused(emulator: Emulator):
    taken = emulator.ok("POST", f"{A}/storage/kv/namespaces", json={"title": unique("kv")})
    mine = emulator.ok("POST", f"{A}/storage/kv/namespaces", json={"title": unique("kv")})
    status, error = emulator.refused(
        "PUT", f"{A}/storage/kv/namespaces/{mine['id']}", json={"title": taken["title"]}
    )
    assert error["code"] == 10014


# -- bindings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "binding",
    [
        {"type": "kv_namespace", "namespace_id": "0" * 32},
        {"type": "d1", "id": "00000000-0000-4000-8000-000000000000"},
        {"type": "queue", "queue_name": "no-such-queue"},
        {"type": "dispatch_namespace", "namespace": "no-such-namespace"},
        {"type": "secrets_store_secret", "store_id": "f" * 32, "secret_name": "X"},
    ],
    ids=lambda b: b["type"],
)
def test_a_binding_to_something_that_does_not_exist_is_refused(emulator: Emulator, binding):
    name = unique("script")
    response = emulator.call(
        "PUT",
        f"{A}/workers/scripts/{name}",
        files=_parts({"main_module": "index.js", "bindings": [{"name": "B", **binding}]}),
    )
    body = response.json()
    assert response.status_code in (400, 404) and body["success"] is False
    assert name not in {s["id"] for s in emulator.account_state()["scripts"]}


def test_a_queue_binding_names_the_missing_queue(emulator: Emulator):
    status, error = emulator.refused(
        "PUT",
        f"{A}/workers/scripts/{unique('script')}",
        files=_parts({"main_module": "index.js",
                      "bindings": [{"name": "Q", "type": "queue", "queue_name": "gone"}]}),
    )  # fmt: skip
    assert error["code"] == 11000 and "Queue does not exist" in error["message"]


def test_a_service_binding_to_a_missing_script_cannot_be_resolved(emulator: Emulator):
    status, error = emulator.refused(
        "PUT",
        f"{A}/workers/scripts/{unique('auth')}",
        files=_parts({"main_module": "index.js",
                      "bindings": [{"name": "MAIL_SERVICE", "type": "service",
                                    "service": "cosmos-mail-worker"}]}),
    )  # fmt: skip
    assert (status, error["code"]) == (400, 10143)
    assert error["message"].startswith("Could not resolve service binding 'MAIL_SERVICE'")
    assert "cosmos-mail-worker" in error["message"]


def test_bindings_to_existing_targets_are_accepted(emulator: Emulator):
    kv = emulator.ok("POST", f"{A}/storage/kv/namespaces", json={"title": unique("kv")})
    d1 = emulator.ok("POST", f"{A}/d1/database", json={"name": unique("db")})
    queue = emulator.ok("POST", f"{A}/queues", json={"queue_name": unique("q")})
    namespace = emulator.ok("POST", f"{A}/workers/dispatch/namespaces", json={"name": unique("ns")})
    target = unique("target")
    emulator.upload(target)
    bindings = [
        {"name": "KV", "type": "kv_namespace", "namespace_id": kv["id"]},
        {"name": "DB", "type": "d1", "id": d1["uuid"]},
        {"name": "Q", "type": "queue", "queue_name": queue["queue_name"]},
        {"name": "NS", "type": "dispatch_namespace", "namespace": namespace["namespace_name"]},
        {"name": "SVC", "type": "service", "service": target},
        {"name": "S", "type": "secrets_store_secret", "store_id": STORE_ID, "secret_name": "X"},
    ]
    script = emulator.upload(unique("bound"), bindings=bindings)
    assert [b["name"] for b in script["bindings"]] == [b["name"] for b in bindings]
    producers = emulator.ok("GET", f"{A}/queues/{queue['queue_id']}")["producers"]
    assert producers == [{"type": "worker", "script": script["id"]}]


def test_duplicate_binding_names_are_refused(emulator: Emulator):
    twice = [{"name": "X", "type": "plain_text", "text": "a"}] * 2
    status, _ = emulator.refused(
        "PUT", f"{A}/workers/scripts/{unique('s')}",
        files=_parts({"main_module": "index.js", "bindings": twice}),
    )  # fmt: skip
    assert status == 400


# -- queues and consumers ---------------------------------------------------------------------


def test_a_consumer_on_a_queue_that_does_not_exist_is_refused(emulator: Emulator):
    script = unique("consumer")
    emulator.upload(script)
    status, error = emulator.refused(
        "POST", f"{A}/queues/{'a' * 32}/consumers", json={"type": "worker", "script_name": script}
    )
    assert (status, error["code"]) == (404, 11000)
    assert "Queue does not exist" in error["message"]


def test_a_consumer_naming_a_missing_dead_letter_queue_is_refused(emulator: Emulator):
    script = unique("consumer")
    emulator.upload(script)
    queue = emulator.ok("POST", f"{A}/queues", json={"queue_name": unique("q")})
    _, error = emulator.refused(
        "POST",
        f"{A}/queues/{queue['queue_id']}/consumers",
        json={"type": "worker", "script_name": script, "dead_letter_queue": "no-dlq"},
    )
    assert "Queue does not exist" in error["message"]


def test_a_queue_with_a_consumer_cannot_be_deleted_until_the_consumer_is(emulator: Emulator):
    script = unique("consumer")
    emulator.upload(script, code=module_js("queue"))
    queue = emulator.ok("POST", f"{A}/queues", json={"queue_name": unique("q")})
    path = f"{A}/queues/{queue['queue_id']}"
    consumer = emulator.ok(
        "POST", f"{path}/consumers", json={"type": "worker", "script_name": script}
    )
    status, _ = emulator.refused("DELETE", path)
    assert status == 409
    emulator.ok("DELETE", f"{path}/consumers/{consumer['consumer_id']}")
    emulator.ok("DELETE", path)
    assert emulator.refused("GET", path)[0] == 404


def test_a_second_worker_consumer_on_one_queue_is_refused(emulator: Emulator):
    script = unique("consumer")
    emulator.upload(script)
    queue = emulator.ok("POST", f"{A}/queues", json={"queue_name": unique("q")})
    path = f"{A}/queues/{queue['queue_id']}/consumers"
    emulator.ok("POST", path, json={"type": "worker", "script_name": script})
    _, error = emulator.refused("POST", path, json={"type": "worker", "script_name": script})
    assert error["code"] == 11004


def test_consumer_settings_outside_the_documented_limits_are_refused(emulator: Emulator):
    script = unique("consumer")
    emulator.upload(script)
    queue = emulator.ok("POST", f"{A}/queues", json={"queue_name": unique("q")})
    status, error = emulator.refused(
        "POST",
        f"{A}/queues/{queue['queue_id']}/consumers",
        json={"type": "worker", "script_name": script, "settings": {"batch_size": 101}},
    )
    assert status == 400 and "batch_size" in error["message"]


def test_a_script_that_consumes_a_queue_cannot_be_deleted(emulator: Emulator):
    script = unique("consumer")
    emulator.upload(script)
    queue = emulator.ok("POST", f"{A}/queues", json={"queue_name": unique("q")})
    emulator.ok(
        "POST", f"{A}/queues/{queue['queue_id']}/consumers",
        json={"type": "worker", "script_name": script},
    )  # fmt: skip
    _, error = emulator.refused("DELETE", f"{A}/workers/scripts/{script}")
    assert error["code"] == 10064


# -- custom domains ---------------------------------------------------------------------------


def test_a_wildcard_custom_domain_is_refused(emulator: Emulator):
    script = unique("site")
    emulator.upload(script)
    status, error = emulator.refused(
        "PUT",
        f"{A}/workers/domains",
        json={"hostname": f"*.{ZONE_NAME}", "service": script, "zone_id": ZONE_ID},
    )
    assert status == 400
    assert error["message"] == "Wildcard operators are not allowed in Custom Domains"


def test_a_custom_domain_attaches_within_its_zone(emulator: Emulator):
    script = unique("site")
    emulator.upload(script)
    hostname = f"{unique('app')}.{ZONE_NAME}"
    domain = emulator.ok(
        "PUT", f"{A}/workers/domains", json={"hostname": hostname, "service": script}
    )
    assert (domain["zone_id"], domain["zone_name"], domain["service"]) == (
        ZONE_ID,
        ZONE_NAME,
        script,
    )
    assert emulator.ok("GET", f"/zones/{ZONE_ID}")["name"] == ZONE_NAME
    _, error = emulator.refused(
        "PUT", f"{A}/workers/domains",
        json={"hostname": "app.elsewhere.example.org", "service": script, "zone_id": ZONE_ID},
    )  # fmt: skip
    assert "not within zone" in error["message"]


def test_a_custom_domain_for_a_missing_script_is_refused(emulator: Emulator):
    _, error = emulator.refused(
        "PUT", f"{A}/workers/domains",
        json={"hostname": f"x.{ZONE_NAME}", "service": "no-such-script", "zone_id": ZONE_ID},
    )  # fmt: skip
    assert error["code"] == 10007


# -- Secrets Store ----------------------------------------------------------------------------


def test_an_unknown_secrets_store_is_refused(emulator: Emulator):
    status, _ = emulator.refused(
        "POST",
        f"{A}/secrets_store/stores/{'e' * 32}/secrets",
        json=[{"name": "X", "value": "v", "scopes": ["workers"]}],
    )
    assert status == 404


def test_the_seeded_store_belongs_to_its_account_only(emulator: Emulator):
    status, _ = emulator.refused(
        "GET", f"/accounts/{OTHER_ACCOUNT_ID}/secrets_store/stores/{STORE_ID}/secrets"
    )
    assert status == 404


def test_scopes_must_be_known_and_in_alphabetical_order(emulator: Emulator):
    path = f"{A}/secrets_store/stores/{STORE_ID}/secrets"
    for scopes in (["workers", "ai_gateway"], ["nobody"], []):
        status, _ = emulator.refused(
            "POST", path, json=[{"name": unique("S"), "value": "v", "scopes": scopes}]
        )
        assert status == 400


def test_a_secret_value_is_kept_but_never_returned(emulator: Emulator):
    value = "canary-" + unique("value")
    path = f"{A}/secrets_store/stores/{STORE_ID}/secrets"
    (created,) = emulator.ok(
        "POST", path, json=[{"name": unique("S"), "value": value, "scopes": ["workers"]}]
    )
    edited = emulator.ok("PATCH", f"{path}/{created['id']}", json={"value": value + "2"})
    answers = [
        emulator.call("GET", f"{path}/{created['id']}").text,
        emulator.call("GET", path).text,
        str(created),
        str(edited),
        str(emulator.state()),
    ]
    assert all(value not in answer for answer in answers)
    assert edited["modified"] >= created["modified"]


# -- scripts ----------------------------------------------------------------------------------


def test_an_upload_keeps_the_content_hash_and_serves_the_content(emulator: Emulator):
    name, code = unique("script"), module_js("fetch")
    script = emulator.upload(name, code, compatibility_date="2025-09-01",
                             compatibility_flags=["nodejs_compat"])  # fmt: skip
    stored = next(s for s in emulator.account_state()["scripts"] if s["id"] == name)
    assert stored["content_sha256"] == hashlib.sha256(code).hexdigest()
    assert script["handlers"] == ["fetch"] and script["has_modules"] is True
    content = emulator.call("GET", f"{A}/workers/scripts/{name}/content/v2")
    assert content.content == code
    settings = emulator.ok("GET", f"{A}/workers/scripts/{name}/settings")
    assert settings["compatibility_date"] == "2025-09-01"
    assert settings["compatibility_flags"] == ["nodejs_compat"]


def test_an_upload_whose_main_module_is_missing_is_refused(emulator: Emulator):
    status, error = emulator.refused(
        "PUT", f"{A}/workers/scripts/{unique('s')}", files=_parts({"main_module": "main.js"})
    )
    assert status == 400 and "main.js" in error["message"]


def test_an_invalid_script_name_is_refused(emulator: Emulator):
    status, _ = emulator.refused(
        "PUT", f"{A}/workers/scripts/Not_Valid-", files=_parts({"main_module": "index.js"})
    )
    assert status == 400


def test_a_secret_text_binding_is_listed_without_its_text(emulator: Emulator):
    name, text = unique("script"), "canary-" + unique("text")
    emulator.upload(name, bindings=[{"name": "TOKEN", "type": "secret_text", "text": text}])
    settings = emulator.call("GET", f"{A}/workers/scripts/{name}/settings")
    assert settings.json()["result"]["bindings"] == [{"name": "TOKEN", "type": "secret_text"}]
    assert text not in settings.text and text not in str(emulator.state())


def _parts(metadata: dict) -> list:
    return script_parts(module_js(), metadata)
