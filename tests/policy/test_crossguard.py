"""The CrossGuard adapters, fed pulumi_policy arguments built by hand as the analyzer builds them.

Props go through pulumi_policy's own unknown-checking proxy, as in `pulumi preview`, so a value
unknown during preview raises on access unless the adapter handles it.
"""

from __future__ import annotations

import json

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy import crossguard
from policy.crossguard import CONFIG_SCHEMA
from stacks.guards import rules
from stacks.guards.view import ResourceView
from tests.policy.builders import urn

AUTH_URN = urn(rules.WORKERS_SCRIPT, "auth", parents=("edge:cloudflare:Worker",))


def options(*, protect: bool = False, parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def resource_args(type_, name, props, *, urn_, config=None, protect=False, parent=None):
    return ResourceValidationArgs(
        resource_type=type_,
        props=unknown_checking_proxy(props),
        urn=urn_,
        name=name,
        opts=options(protect=protect, parent=parent),
        provider=None,
        config=config,
    )


def policy_resource(type_, name, props, *, urn_=None):
    return PolicyResource(
        type_,
        unknown_checking_proxy(props),
        urn_ or urn(type_, name),
        name,
        options(),
        None,
        None,
        [],
        {},
    )


def run(policy, args) -> list[tuple[str, str | None]]:
    reported: list[tuple[str, str | None]] = []
    policy.validate(args, lambda message, urn=None: reported.append((message, urn)))
    return reported


POLICIES = {p.name: p for p in crossguard.policies()}

AUTH_PROPS = {
    "scriptName": "auth",
    "contentSha256": UNKNOWN_STRING_VALUE,  # bundle not built yet: unknown during preview
    "bindings": [
        {"name": "API_KEY", "type": "plain_text", "text": "plaintext-under-crossguard"},
        {"name": "LOG_LEVEL", "type": "plain_text", "text": "info"},
        {"name": "MAIL_SERVICE", "type": "service", "service": UNKNOWN_STRING_VALUE},
    ],
}


@pytest.fixture
def stack_config(monkeypatch):
    """Set the stack config the way the Pulumi CLI hands it to the pack (PULUMI_CONFIG)."""
    from pulumi.runtime import config as runtime_config

    saved = runtime_config.CONFIG.get()
    runtime_config.CONFIG.set({})  # forget config other tests' mock runs left behind

    def set_platform(platform: dict | None) -> None:
        values = {} if platform is None else {"edge-platform:platform": json.dumps(platform)}
        monkeypatch.setenv("PULUMI_CONFIG", json.dumps(values))

    set_platform(None)
    yield set_platform
    runtime_config.CONFIG.set(saved)


def test_every_rule_is_a_policy_of_the_same_name_and_scope():
    assert list(POLICIES) == [r.name for r in rules.RULES]
    for rule in rules.RULES:
        policy = POLICIES[rule.name]
        expected = ResourceValidationPolicy if rule.scope == "resource" else StackValidationPolicy
        assert isinstance(policy, expected)
        assert policy.description == rule.description
        schema = policy.config_schema.properties if policy.config_schema else None
        assert schema == (CONFIG_SCHEMA if rule.uses_config else None)


def test_resource_adapter_feeds_the_same_rule_as_the_neutral_view():
    args = resource_args(rules.WORKERS_SCRIPT, "auth", AUTH_PROPS, urn_=AUTH_URN)
    reported = run(POLICIES["secret-binding-not-plain-text"], args)

    by_hand = ResourceView(
        type=rules.WORKERS_SCRIPT, name="auth", urn=AUTH_URN, props=AUTH_PROPS, stack="prod"
    )
    expected = rules.secret_binding_not_plain_text(by_hand)
    assert len(expected) == 1
    assert reported == [(expected[0].message, None)]
    assert "plaintext-under-crossguard" not in reported[0][0]


def test_resource_adapter_reads_protect_stack_and_parent():
    parent = urn("edge:cloudflare:D1Database", "db")
    props = {"name": "db", "readReplication": {"mode": "disabled"}}
    view = crossguard.view_from_args(
        resource_args(
            rules.D1_DATABASE,
            "db",
            props,
            urn_=urn(rules.D1_DATABASE, "db"),
            protect=True,
            parent=parent,
        )
    )
    assert (view.stack, view.environment, view.protect, view.parent) == (
        "prod",
        "prod",
        True,
        parent,
    )

    unprotected = resource_args(rules.D1_DATABASE, "db", props, urn_=urn(rules.D1_DATABASE, "db"))
    assert len(run(POLICIES["stateful-protected-in-prod"], unprotected)) == 1
    staging = resource_args(
        rules.D1_DATABASE, "db", props, urn_=urn(rules.D1_DATABASE, "db", stack="staging")
    )
    assert run(POLICIES["stateful-protected-in-prod"], staging) == []


def test_unknown_values_are_skipped_not_fatal():
    # Read directly, the proxy raises on the unknown; the adapter must not let it escape.
    args = resource_args(
        rules.D1_DATABASE,
        "db",
        {"readReplication": UNKNOWN_OBJECT_VALUE},
        urn_=urn(rules.D1_DATABASE, "db"),
    )
    assert run(POLICIES["d1-read-replication-explicit"], args) == []
    missing = resource_args(rules.D1_DATABASE, "db", {}, urn_=urn(rules.D1_DATABASE, "db"))
    assert len(run(POLICIES["d1-read-replication-explicit"], missing)) == 1


def test_stack_adapter_resolves_the_consumers_queue_from_outputs():
    queue = policy_resource(rules.QUEUE, "outbox", {"queueName": "outbox", "queueId": "q-1"})
    dlq = policy_resource(rules.QUEUE, "outbox-dlq", {"queueName": "outbox-dlq", "queueId": "q-2"})
    consumer = policy_resource(
        rules.QUEUE_CONSUMER, "outbox-consumer", {"queueId": "q-1", "deadLetterQueue": "outbox"}
    )
    # An unknown elsewhere in the stack does not stop the stack policy.
    auth = policy_resource(rules.WORKERS_SCRIPT, "auth", AUTH_PROPS)
    args = StackValidationArgs([queue, dlq, consumer, auth], {})
    reported = run(POLICIES["queue-consumer-dead-letter-queue"], args)
    assert [u for _, u in reported] == [consumer.urn]
    assert "its own queue 'outbox'" in reported[0][0]


def test_external_workers_come_from_stack_config_unless_policy_config_sets_them(stack_config):
    auth = policy_resource(
        rules.WORKERS_SCRIPT,
        "auth",
        {
            "scriptName": "auth",
            "bindings": [
                {"name": "MAIL_SERVICE", "type": "service", "service": "cosmos-mail-worker"}
            ],
        },
    )
    policy = POLICIES["service-binding-target-exists"]

    stack_config({"environment": "prod", "externalWorkers": ["cosmos-mail-worker"]})
    assert run(policy, StackValidationArgs([auth], {})) == []
    overridden = run(policy, StackValidationArgs([auth], {"externalWorkers": []}))
    assert [u for _, u in overridden] == [auth.urn]
    assert "policy config" in overridden[0][0]

    stack_config(None)
    missing = run(policy, StackValidationArgs([auth], {}))
    assert "no stack config edge-platform:platform" in missing[0][0]
    listed = run(policy, StackValidationArgs([auth], {"externalWorkers": ["cosmos-mail-worker"]}))
    assert listed == []


def test_tenant_scripts_from_policy_config_reach_the_resource_rule(stack_config):
    props = {
        "scriptName": "dispatcher",
        "bindings": [{"name": "A", "type": "service", "service": "tenant-a"}],
    }
    urn_ = urn(rules.WORKERS_SCRIPT, "dispatcher")
    policy = POLICIES["no-service-binding-to-tenant-script"]
    with_tenants = resource_args(
        rules.WORKERS_SCRIPT,
        "dispatcher",
        props,
        urn_=urn_,
        config={"tenantScripts": {"tenants": ["tenant-a"]}},
    )
    assert len(run(policy, with_tenants)) == 1
    assert run(policy, resource_args(rules.WORKERS_SCRIPT, "dispatcher", props, urn_=urn_)) == []
