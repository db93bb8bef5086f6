"""The replace-on-change and stateful tables against the providers they describe.

The Cloudflare and AWS rows are held to `fixtures/upstream_requires_replace.json`, written by
hand from the upstream providers' schema files (the commit is in the file), not from the table.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

import pulumi
import pulumi_aws
import pulumi_cloudflare
import pytest

from plan.replace_rules import (
    REPLACE_IF_CONFIGURED,
    REPLACE_ON_CHANGE,
    is_stateful,
    replace_if_configured_keys,
    replace_keys,
)
from tests.plan_diff.builders import MAIL_DNS, QUEUE, RECORD, SCRIPT, resource
from tests.support.project import REPO

UPSTREAM = json.loads(
    (Path(__file__).parent / "fixtures" / "upstream_requires_replace.json").read_text()
)["resources"]
POSTMARK = {
    "Server": ("server", "ServerProvider"),
    "Domain": ("domain", "DomainProvider"),
    "MessageStream": ("message_stream", "MessageStreamProvider"),
    "Webhook": ("webhook", "WebhookProvider"),
    "DomainVerification": ("domain_verification", "DomainVerificationProvider"),
}


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def sdk_class(type_: str) -> type:
    """pulumi_cloudflare.WorkersScript for `cloudflare:index/workersScript:WorkersScript`."""
    package, module, name = type_.split(":")
    if package == "cloudflare":
        return getattr(pulumi_cloudflare, name)
    return getattr(getattr(pulumi_aws, module.split("/")[0]), name)


def type_token(cls: type) -> str:
    (token,) = set(re.findall(r"__init__\(\s*'([^']+)'", inspect.getsource(cls._internal_init)))
    return token


@pytest.mark.parametrize("type_", sorted(UPSTREAM))
def test_replace_keys_are_what_the_upstream_schema_marks_requires_replace(type_):
    upstream = UPSTREAM[type_]

    assert replace_keys(type_) == {camel(a) for a in upstream["requires_replace"]}
    assert replace_if_configured_keys(type_) == {
        camel(a) for a in upstream["requires_replace_if_configured"]
    }


@pytest.mark.parametrize("type_", sorted(UPSTREAM))
def test_every_upstream_attribute_is_an_input_of_the_python_sdk_class(type_):
    """The bridge's camelCase names are the snake_case schema names: each is a constructor
    argument of the SDK class registered under `type_` (else the table names a ghost input)."""
    cls = sdk_class(type_)
    upstream = UPSTREAM[type_]
    arguments = set(inspect.signature(cls._internal_init).parameters)

    assert type_token(cls) == type_
    wanted = upstream["requires_replace"] + upstream["requires_replace_if_configured"]
    assert set(wanted) <= arguments
    assert not set(upstream["computed_requires_replace"]) & arguments  # outputs only


def test_every_cloudflare_and_aws_resource_the_components_create_is_in_the_fixture():
    created = set()
    for path in (REPO / "components").rglob("*.py"):
        source = path.read_text()
        created |= {f"cloudflare.{n}" for n in re.findall(r"\bcloudflare\.([A-Z]\w+)\(", source)}
        created |= {f"route53.{n}" for n in re.findall(r"\baws\.route53\.([A-Z]\w+)\(", source)}
    tokens = set()
    for name in created:
        module, cls = name.split(".")
        owner = pulumi_cloudflare if module == "cloudflare" else pulumi_aws.route53
        if issubclass(getattr(owner, cls), pulumi.CustomResource):  # not an args class
            tokens.add(type_token(getattr(owner, cls)))

    assert "cloudflare:index/workersCustomDomain:WorkersCustomDomain" in tokens
    assert tokens <= set(UPSTREAM)
    rows = {*REPLACE_ON_CHANGE, *REPLACE_IF_CONFIGURED}
    provider_rows = {t for t in rows if ":dynamic/" not in t}
    assert provider_rows <= set(UPSTREAM)


def test_custom_domain_zone_id_replaces_only_when_set():
    domain = "cloudflare:index/workersCustomDomain:WorkersCustomDomain"
    assert {"hostname", "service", "accountId"} <= replace_keys(domain)
    assert "zoneId" not in replace_keys(domain)
    assert "zoneId" in replace_if_configured_keys(domain)


@pytest.mark.parametrize("name", sorted(POSTMARK))
def test_postmark_rows_match_what_each_dynamic_provider_replaces_on(name):
    module_name, provider_name = POSTMARK[name]
    module = importlib.import_module(f"components.mail.postmark.{module_name}")
    provider = getattr(module, provider_name)()

    replaced = set()
    for key in module._NORMALIZERS:  # every input the provider compares
        replaced |= set(provider.diff("id", {}, {key: True}).replaces or [])

    assert replaced == set(REPLACE_ON_CHANGE[f"pulumi-python:dynamic/postmark:{name}"])


def test_stateful_types():
    mail_dns = resource(MAIL_DNS, "mail-dns")
    assert is_stateful(resource(QUEUE, "mail-outbox-dlq"))
    assert is_stateful(resource(RECORD, "mail-dns-dkim", parent=mail_dns))
    assert not is_stateful(resource(RECORD, "www"))
    assert not is_stateful(resource(SCRIPT, "auth"))
    assert not is_stateful(mail_dns)  # components hold no data themselves
