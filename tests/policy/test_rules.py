"""Each rule of stacks/guards/rules.py on hand-built views: one that passes, one that fails."""

from __future__ import annotations

import pytest

from stacks.guards import rules
from stacks.guards.config import PolicyConfig
from stacks.guards.resource_types import (
    CUSTOM_DOMAIN,
    D1_DATABASE,
    DISPATCH_NAMESPACE,
    KV_NAMESPACE,
    MAIL_DNS_COMPONENT,
    POSTMARK_DOMAIN,
    POSTMARK_SERVER,
    QUEUE,
    QUEUE_CONSUMER,
    ROUTE53_RECORD,
    SECRETS_STORE,
    SECRETS_STORE_SECRET,
    WORKERS_SCRIPT,
)
from stacks.guards.view import UNKNOWN
from tests.policy.builders import view

MAIL_RECORD_PARENTS = ("edge:mail:MailDelivery", MAIL_DNS_COMPONENT)


def script(name: str, bindings: list[dict], *, stack: str = "prod", script_name: str | None = None):
    return view(
        WORKERS_SCRIPT,
        name,
        {"scriptName": script_name or name, "bindings": bindings},
        stack=stack,
    )


def service(name: str, target) -> dict:
    return {"name": name, "type": "service", "service": target}


def test_every_rule_has_a_unique_name_and_a_description():
    names = [r.name for r in rules.RULES]
    assert len(names) == len(set(names)) == 9
    assert all(r.description.endswith(".") for r in rules.RULES)


# --- 1. stateful-protected-in-prod ------------------------------------------------------------


@pytest.mark.parametrize(
    "type_",
    [
        KV_NAMESPACE,
        D1_DATABASE,
        QUEUE,
        SECRETS_STORE,
        SECRETS_STORE_SECRET,
        DISPATCH_NAMESPACE,
        POSTMARK_SERVER,
        POSTMARK_DOMAIN,
    ],
)
def test_unprotected_stateful_resource_in_prod_is_a_violation(type_):
    found = rules.stateful_protected_in_prod(view(type_, "data", protect=False))
    assert [v.rule for v in found] == ["stateful-protected-in-prod"]
    assert "'data'" in found[0].message and "protect=True" in found[0].message
    assert rules.stateful_protected_in_prod(view(type_, "data", protect=True)) == []


def test_unprotected_stateful_resource_in_staging_is_allowed():
    assert rules.stateful_protected_in_prod(view(D1_DATABASE, stack="staging")) == []


def test_mail_dns_records_must_be_protected_in_prod_but_other_records_need_not():
    return_path = view(
        ROUTE53_RECORD,
        "mail-dns-return-path",
        {"type": "CNAME", "name": "pm-bounces.mail.example.com", "records": ["pm.mtasv.net"]},
        parents=MAIL_RECORD_PARENTS,
    )
    dmarc_outside_component = view(
        ROUTE53_RECORD,
        "dmarc",
        {"type": "TXT", "name": "_dmarc.example.com", "records": ["v=DMARC1; p=none"]},
    )
    website = view(
        ROUTE53_RECORD, "www", {"type": "A", "name": "www.example.com", "records": ["192.0.2.1"]}
    )
    assert len(rules.stateful_protected_in_prod(return_path)) == 1
    assert len(rules.stateful_protected_in_prod(dmarc_outside_component)) == 1
    assert rules.stateful_protected_in_prod(website) == []


def test_stateless_resource_needs_no_protection():
    assert rules.stateful_protected_in_prod(script("auth", [])) == []


# --- 2. d1-read-replication-explicit ----------------------------------------------------------


def test_d1_without_read_replication_is_a_violation():
    found = rules.d1_read_replication_explicit(view(D1_DATABASE, "db", {"name": "db"}))
    assert [v.rule for v in found] == ["d1-read-replication-explicit"]
    assert "read_replication" in found[0].message


def test_d1_with_an_invalid_mode_is_a_violation():
    found = rules.d1_read_replication_explicit(
        view(D1_DATABASE, "db", {"readReplication": {"mode": "sometimes"}})
    )
    assert "'sometimes'" in found[0].message


@pytest.mark.parametrize("mode", ["auto", "disabled"])
def test_d1_with_explicit_read_replication_passes(mode):
    assert (
        rules.d1_read_replication_explicit(
            view(D1_DATABASE, "db", {"readReplication": {"mode": mode}})
        )
        == []
    )


def test_d1_read_replication_unknown_in_preview_is_skipped():
    assert (
        rules.d1_read_replication_explicit(view(D1_DATABASE, props={"readReplication": UNKNOWN}))
        == []
    )


# --- 3. queue-consumer-dead-letter-queue ------------------------------------------------------


def queue(name: str, queue_name: str, queue_id):
    return view(QUEUE, name, {"queueName": queue_name, "queueId": queue_id})


def consumer(queue_id, dead_letter):
    props = {"queueId": queue_id, "scriptName": "worker", "type": "worker"}
    if dead_letter is not None:
        props["deadLetterQueue"] = dead_letter
    return view(QUEUE_CONSUMER, "outbox-consumer", props)


QUEUES = [queue("outbox", "outbox", "id-outbox"), queue("outbox-dlq", "outbox-dlq", "id-dlq")]


def test_consumer_with_a_separate_dead_letter_queue_passes():
    assert (
        rules.queue_consumer_dead_letter_queue([*QUEUES, consumer("id-outbox", "outbox-dlq")]) == []
    )


def test_consumer_whose_dead_letter_queue_is_its_own_queue_is_a_violation():
    bad = consumer("id-outbox", "outbox")
    found = rules.queue_consumer_dead_letter_queue([*QUEUES, bad])
    assert [(v.rule, v.urn) for v in found] == [("queue-consumer-dead-letter-queue", bad.urn)]
    assert "its own queue 'outbox'" in found[0].message


def test_consumer_without_dead_letter_queue_is_a_violation():
    found = rules.queue_consumer_dead_letter_queue([*QUEUES, consumer("id-outbox", None)])
    assert "has no dead_letter_queue" in found[0].message
    found = rules.queue_consumer_dead_letter_queue([*QUEUES, consumer("id-outbox", "")])
    assert "has no dead_letter_queue" in found[0].message


def test_consumer_of_an_unresolvable_queue_is_not_guessed_about():
    # Preview of a new stack: the queue id is not known yet, so "own queue" cannot be told.
    assert rules.queue_consumer_dead_letter_queue([*QUEUES, consumer(UNKNOWN, "outbox")]) == []


# --- 4. service-binding-target-exists ---------------------------------------------------------


def test_binding_to_a_worker_of_the_stack_passes():
    views = [script("auth", [service("MAIL", "mailer")]), script("mailer", [])]
    assert rules.service_binding_target_exists(views, PolicyConfig()) == []


def test_binding_to_an_external_worker_passes_only_when_listed():
    views = [script("auth", [service("MAIL", "cosmos-mail-worker")])]
    config = PolicyConfig.from_lists(["cosmos-mail-worker"], source="test")
    assert rules.service_binding_target_exists(views, config) == []
    found = rules.service_binding_target_exists(views, PolicyConfig())
    assert [(v.rule, v.urn) for v in found] == [("service-binding-target-exists", views[0].urn)]
    assert "'cosmos-mail-worker'" in found[0].message and "externalWorkers" in found[0].message


def test_binding_to_a_tenant_script_is_left_to_the_tenant_rule():
    views = [script("auth", [service("T", "tenant-a")])]
    config = PolicyConfig.from_lists([], {"tenants": ["tenant-a"]}, source="test")
    assert rules.service_binding_target_exists(views, config) == []
    assert len(rules.no_service_binding_to_tenant_script(views[0], config)) == 1


# --- 5. no-foreign-environment-names ----------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "type_", "props", "fix"),
    [
        ("staging", WORKERS_SCRIPT, {"scriptName": "auth"}, "auth-staging"),
        ("staging", KV_NAMESPACE, {"title": "mail-state"}, "mail-state-staging"),
        ("staging", QUEUE_CONSUMER, {"deadLetterQueue": "outbox-dlq"}, "outbox-dlq-staging"),
        ("staging", SECRETS_STORE_SECRET, {"name": "RESEND_API_KEY"}, "RESEND_API_KEY_STAGING"),
        ("prod", D1_DATABASE, {"name": "mail-metadata-staging"}, "mail-metadata"),
        ("prod", SECRETS_STORE_SECRET, {"name": "RESEND_API_KEY_STAGING"}, "RESEND_API_KEY"),
    ],
)
def test_name_of_the_other_environment_is_a_violation(stack, type_, props, fix):
    found = rules.no_foreign_environment_names(view(type_, props=props, stack=stack))
    assert [v.rule for v in found] == ["no-foreign-environment-names"]
    assert f"use '{fix}'" in found[0].message


@pytest.mark.parametrize(
    ("stack", "type_", "props"),
    [
        ("staging", WORKERS_SCRIPT, {"scriptName": "auth-staging"}),
        ("staging", SECRETS_STORE_SECRET, {"name": "RESEND_API_KEY_STAGING"}),
        ("prod", D1_DATABASE, {"name": "mail-metadata"}),
        ("prod", SECRETS_STORE_SECRET, {"name": "RESEND_API_KEY"}),
        ("dev", WORKERS_SCRIPT, {"scriptName": "auth"}),  # not an environment this rule knows
    ],
)
def test_name_of_the_own_environment_passes(stack, type_, props):
    assert rules.no_foreign_environment_names(view(type_, props=props, stack=stack)) == []


def test_binding_targets_of_the_other_environment_are_violations():
    prod_script = script(
        "auth",
        [
            service("MAIL_SERVICE", "bookmarks-mail-worker-staging"),
            {"name": "OUTBOX", "type": "queue", "queueName": "mail-outbox"},
            {
                "name": "KEY",
                "type": "secrets_store_secret",
                "secretName": "RESEND_API_KEY_STAGING",
                "storeId": "s",
            },
        ],
    )
    messages = [v.message for v in rules.no_foreign_environment_names(prod_script)]
    assert len(messages) == 2
    assert "binding MAIL_SERVICE (service) is 'bookmarks-mail-worker-staging'" in messages[0]
    assert "binding KEY (secretName) is 'RESEND_API_KEY_STAGING'" in messages[1]


def test_tenant_script_names_are_not_environment_names():
    # Tenant scripts are named inside their namespace (tenants-staging), without a suffix.
    staging_dispatcher = script(
        "dispatcher", [service("A", "tenant-a")], stack="staging", script_name="dispatcher-staging"
    )
    config = PolicyConfig.from_lists([], {"tenants": ["tenant-a"]}, source="test")
    assert rules.no_foreign_environment_names(staging_dispatcher, config) == []
    assert len(rules.no_foreign_environment_names(staging_dispatcher, PolicyConfig())) == 1


# --- 6. no-service-binding-to-tenant-script ---------------------------------------------------

TENANTS = PolicyConfig.from_lists([], {"tenants": ["tenant-a", "tenant-b"]}, source="test")


def test_binding_to_a_tenant_script_is_a_violation():
    found = rules.no_service_binding_to_tenant_script(
        script("dispatcher", [service("A", "tenant-a")]), TENANTS
    )
    assert [v.rule for v in found] == ["no-service-binding-to-tenant-script"]
    assert "dispatch namespace 'tenants'" in found[0].message


def test_binding_to_an_infrastructure_worker_passes():
    assert (
        rules.no_service_binding_to_tenant_script(
            script(
                "dispatcher",
                [
                    service("A", "auth"),
                    {"name": "NS", "type": "dispatch_namespace", "namespace": "tenants"},
                ],
            ),
            TENANTS,
        )
        == []
    )


# --- 7. no-wildcard-custom-domain -------------------------------------------------------------


def test_wildcard_custom_domain_is_a_violation():
    found = rules.no_wildcard_custom_domain(
        view(CUSTOM_DOMAIN, props={"hostname": "*.example.com"})
    )
    assert [v.rule for v in found] == ["no-wildcard-custom-domain"]


def test_exact_custom_domain_passes():
    assert (
        rules.no_wildcard_custom_domain(view(CUSTOM_DOMAIN, props={"hostname": "a.example.com"}))
        == []
    )


# --- 8. secret-binding-not-plain-text ---------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["API_KEY", "GITHUB_TOKEN", "SIGNING_SECRET", "DB_PASSWORD_V2", "password"]
)
def test_secret_looking_plain_text_binding_is_a_violation(name):
    value = "do-not-print-this-value"
    found = rules.secret_binding_not_plain_text(
        script("auth", [{"name": name, "type": "plain_text", "text": value}])
    )
    assert [v.rule for v in found] == ["secret-binding-not-plain-text"]
    assert name in found[0].message and value not in found[0].message


def test_secret_looking_binding_of_a_secret_type_and_plain_config_pass():
    assert (
        rules.secret_binding_not_plain_text(
            script(
                "auth",
                [
                    {"name": "API_KEY", "type": "secret_text", "text": "[secret]"},
                    {
                        "name": "RESEND_API_KEY",
                        "type": "secrets_store_secret",
                        "secretName": "R",
                        "storeId": "s",
                    },
                    {"name": "LOG_LEVEL", "type": "plain_text", "text": "debug"},
                    {"name": "KEYBOARD_LAYOUT", "type": "plain_text", "text": "us"},
                ],
            )
        )
        == []
    )


# --- 9. route53-txt-string-length -------------------------------------------------------------


def txt(*values: str):
    return view(
        ROUTE53_RECORD,
        "mail-dns-dkim",
        {"type": "TXT", "name": "pm._domainkey.example.com", "records": list(values)},
    )


def test_txt_string_over_255_characters_is_a_violation():
    found = rules.route53_txt_string_length(txt("p=" + "A" * 254))
    assert [v.rule for v in found] == ["route53-txt-string-length"]
    assert "256 characters" in found[0].message
    # Split, but one of the strings is still too long.
    found = rules.route53_txt_string_length(txt("A" * 255 + '""' + "B" * 300))
    assert "300 characters" in found[0].message


def test_txt_strings_of_at_most_255_characters_pass():
    assert rules.route53_txt_string_length(txt("A" * 255, "A" * 255 + '""' + "B" * 45)) == []


def test_long_values_of_other_record_types_are_not_txt_strings():
    cname = view(ROUTE53_RECORD, props={"type": "CNAME", "records": ["a" * 300]})
    assert rules.route53_txt_string_length(cname) == []


# --- running them together --------------------------------------------------------------------


def test_check_views_runs_resource_and_stack_rules_and_sorts_by_resource():
    bad_script = script(
        "auth", [service("MAIL", "nowhere"), {"name": "API_KEY", "type": "plain_text", "text": "x"}]
    )
    bad_db = view(D1_DATABASE, "db", {"name": "db"})
    found = rules.check_views([bad_script, bad_db], PolicyConfig())
    assert [(v.urn, v.rule) for v in found] == sorted(
        [
            (bad_script.urn, "secret-binding-not-plain-text"),
            (bad_script.urn, "service-binding-target-exists"),
            (bad_db.urn, "d1-read-replication-explicit"),
            (bad_db.urn, "stateful-protected-in-prod"),
        ]
    )
