"""The platform's policy rules: plain functions over `stacks.guards.view.ResourceView`.

The CrossGuard pack (policy/__main__.py through policy.crossguard) and `python -m plan check`
(plan.checks) run these same functions. A rule is either

- a resource rule, `fn(view, config)`: one resource at a time; under CrossGuard a
  ResourceValidationPolicy, which blocks the resource before it is created or updated; or
- a stack rule, `fn(views, config)`: needs several resources (a consumer and its queue, a binding
  and the script it calls); under CrossGuard a StackValidationPolicy, which runs after `preview`
  and fails it, but under `up` runs only after the deployment (so the PR preview is the gate).

Each rule yields messages; the decorator turns them into `Violation`s. Values not known yet
(`UNKNOWN`) are skipped, never guessed. No message contains a prop value that could be a secret
(CrossGuard hands secrets to policies in plaintext): only names, types and lengths.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from stacks import naming
from stacks.guards.config import PolicyConfig
from stacks.guards.resource_types import (
    BINDING_HOLDERS,
    CUSTOM_DOMAIN,
    D1_DATABASE,
    DISPATCH_NAMESPACE,
    KV_NAMESPACE,
    MAIL_DNS_COMPONENT,
    QUEUE,
    QUEUE_CONSUMER,
    ROUTE53_RECORD,
    SECRETS_STORE_SECRET,
    STATEFUL_TYPES,
    WORKER,
    WORKERS_DEPLOYMENT,
    WORKERS_SCRIPT,
)
from stacks.guards.view import Environment, ResourceView, is_known

READ_REPLICATION_MODES = ("auto", "disabled")
TXT_STRING_MAX = 255
SECRET_LIKE_SUFFIXES = ("_KEY", "_TOKEN", "_SECRET")


@dataclass(frozen=True, order=True)
class Violation:
    rule: str
    """The rule's name (also the CrossGuard policy's name)."""
    urn: str
    """The resource in violation."""
    message: str
    """What is wrong and what to do."""


ResourceCheck = Callable[[ResourceView, PolicyConfig], list[Violation]]
StackCheck = Callable[[Sequence[ResourceView], PolicyConfig], list[Violation]]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    scope: Literal["resource", "stack"]
    check: Callable[..., list[Violation]]
    uses_config: bool = False
    """Reads `PolicyConfig` (external workers, tenant scripts): under CrossGuard it takes the
    policy config keys of `policy.crossguard.CONFIG_SCHEMA`."""


RULES: list[Rule] = []


def resource_rule(name: str, description: str, *, uses_config: bool = False):
    def register(fn: Callable[[ResourceView, PolicyConfig], Iterable[str]]) -> ResourceCheck:
        @functools.wraps(fn)
        def check(view: ResourceView, config: PolicyConfig | None = None) -> list[Violation]:
            messages = fn(view, config or PolicyConfig())
            return [Violation(name, view.urn, message) for message in messages]

        RULES.append(Rule(name, description, "resource", check, uses_config))
        return check

    return register


def stack_rule(name: str, description: str, *, uses_config: bool = False):
    def register(
        fn: Callable[[Sequence[ResourceView], PolicyConfig], Iterable[tuple[str, str]]],
    ) -> StackCheck:
        @functools.wraps(fn)
        def check(
            views: Sequence[ResourceView], config: PolicyConfig | None = None
        ) -> list[Violation]:
            found = fn(views, config or PolicyConfig())
            return [Violation(name, urn, message) for urn, message in found]

        RULES.append(Rule(name, description, "stack", check, uses_config))
        return check

    return register


# --- helpers ---------------------------------------------------------------------------------


def _items(value: Any) -> list[Any]:
    """A list prop as a list; anything else (absent, unknown) as empty."""
    return list(value) if isinstance(value, list | tuple) else []


def _bindings(view: ResourceView, kind: str | None = None) -> Iterator[Mapping[str, Any]]:
    for b in _items(view.get("bindings")):
        if isinstance(b, Mapping) and (kind is None or b.get("type") == kind):
            yield b


def _binding_holders(views: Sequence[ResourceView]) -> list[ResourceView]:
    """The resources carrying a worker's bindings: its versions (or a whole-script upload)."""
    return [v for v in views if v.type in BINDING_HOLDERS]


def _deployed_scripts(views: Sequence[ResourceView]) -> set[str]:
    """Script names the stack deploys: each Worker's name (or a whole-script upload's)."""
    names = [v.get("name") for v in views if v.type == WORKER]
    names += [v.get("scriptName") for v in views if v.type == WORKERS_SCRIPT]
    return {n for n in names if isinstance(n, str)}


def _script_label(view: ResourceView) -> str:
    if view.type != WORKERS_SCRIPT:
        return f"worker version '{view.name}'"
    name = view.get("scriptName")
    return f"worker '{name}'" if isinstance(name, str) else f"worker '{view.name}'"


def is_mail_record(view: ResourceView) -> bool:
    """A Route 53 record of the mail setup: made by MailDnsRecords, or DKIM/DMARC/SPF/MX."""
    if view.type != ROUTE53_RECORD:
        return False
    if MAIL_DNS_COMPONENT in view.type_chain[:-1]:
        return True
    host, record_type = view.get("name"), view.get("type")
    if isinstance(host, str) and ("._domainkey." in host or host.startswith("_dmarc.")):
        return True
    if record_type == "MX":
        return True
    mail_txt = ("v=spf1", "v=DMARC1", "v=DKIM1", "k=rsa")
    return record_type == "TXT" and any(
        isinstance(v, str) and v.startswith(mail_txt) for v in _items(view.get("records"))
    )


def _kind(view: ResourceView) -> str:
    return view.type.rsplit(":", 1)[-1]


# --- 1. stateful resources are protected in prod ---------------------------------------------


@resource_rule(
    "stateful-protected-in-prod",
    "In prod, stateful resources (KV, D1, queues, Secrets Store and its secrets, dispatch "
    "namespaces, Postmark servers and domains, mail DNS records) are protected.",
)
def stateful_protected_in_prod(view: ResourceView, config: PolicyConfig) -> Iterator[str]:
    stateful = view.type in STATEFUL_TYPES or is_mail_record(view)
    if view.environment == "prod" and stateful and not view.protect:
        yield (
            f"{_kind(view)} '{view.name}' holds data but is not protected in the prod stack, so a "
            "delete or a replacement would destroy it; create it with protect=True (the "
            "components take DataSafety(protect=True), which the prod stack always passes)"
        )


# --- 2. D1 sets read replication explicitly ---------------------------------------------------


@resource_rule(
    "d1-read-replication-explicit",
    "Every D1 database sets read_replication explicitly (an omitted value drifts on refresh).",
)
def d1_read_replication_explicit(view: ResourceView, config: PolicyConfig) -> Iterator[str]:
    if view.type != D1_DATABASE:
        return
    setting = view.get("readReplication")
    if not is_known(setting):
        return
    mode = setting.get("mode") if isinstance(setting, Mapping) else None
    if not is_known(mode) or mode in READ_REPLICATION_MODES:
        return
    found = "sets no read_replication" if mode is None else f"has read_replication mode '{mode}'"
    yield (
        f"D1 database '{view.name}' {found}; set read_replication={{'mode': 'disabled'}} (or "
        "'auto') explicitly: an omitted value drifts on every refresh and the next update fails "
        "(cloudflare/terraform-provider-cloudflare#6309)"
    )


# --- 3. every queue consumer has a dead-letter queue that is not its own queue ----------------


@stack_rule(
    "queue-consumer-dead-letter-queue",
    "Every queue consumer names a dead-letter queue, and not the queue it consumes.",
)
def queue_consumer_dead_letter_queue(
    views: Sequence[ResourceView], config: PolicyConfig
) -> Iterator[tuple[str, str]]:
    queue_name_by_id: dict[str, str] = {}
    for queue in (v for v in views if v.type == QUEUE):
        queue_id, queue_name = queue.get("queueId"), queue.get("queueName")
        if isinstance(queue_id, str) and isinstance(queue_name, str):
            queue_name_by_id[queue_id] = queue_name
    for consumer in (v for v in views if v.type == QUEUE_CONSUMER):
        dead_letter = consumer.get("deadLetterQueue")
        if not is_known(dead_letter):
            continue
        if not dead_letter:
            message = (
                f"queue consumer '{consumer.name}' has no dead_letter_queue, so messages whose "
                "retries run out are dropped; set `queues.<queue>.deadLetterQueue` in the "
                "stack config (QueueWithDeadLetter creates that queue and wires it in)"
            )
            yield consumer.urn, message
            continue
        queue_id = consumer.get("queueId")
        own = queue_name_by_id.get(queue_id) if isinstance(queue_id, str) else None
        if own is not None and dead_letter == own:
            message = (
                f"queue consumer '{consumer.name}' names its own queue '{own}' as dead-letter "
                "queue, so failed messages are never set aside; name a separate queue in "
                "`queues.<queue>.deadLetterQueue`"
            )
            yield consumer.urn, message


# --- 4. every service binding target exists in the stack or is declared external -------------


@stack_rule(
    "service-binding-target-exists",
    "Every service binding calls a worker this stack deploys or one listed in externalWorkers.",
    uses_config=True,
)
def service_binding_target_exists(
    views: Sequence[ResourceView], config: PolicyConfig
) -> Iterator[tuple[str, str]]:
    deployed = _deployed_scripts(views)
    for script in _binding_holders(views):
        for b in _bindings(script, "service"):
            target = b.get("service")
            if not isinstance(target, str):
                continue
            if target in deployed or target in config.external_workers:
                continue
            if target in config.tenant_scripts:
                continue  # a tenant script: rule no-service-binding-to-tenant-script says why
            known = ", ".join(sorted(config.external_workers)) or "none"
            message = (
                f"binding {b.get('name')} of {_script_label(script)} calls service '{target}', "
                "which this stack does not deploy and `externalWorkers` does not list "
                f"(externalWorkers from {config.source}: {known}); Cloudflare would reject the "
                'upload ("Could not resolve service binding"). Declare the worker under '
                "`workers`, or list it in `externalWorkers` if it is deployed elsewhere"
            )
            yield script.urn, message


# --- 5. no name of another environment --------------------------------------------------------

# Props holding physical names, per type. Hyphenated names carry `-staging` in staging (and
# stacks.naming.foreign_environment tells whose they are); Secrets Store names carry `_STAGING`.
HYPHEN_NAME_PROPS: dict[str, tuple[str, ...]] = {
    WORKERS_SCRIPT: ("scriptName",),
    WORKER: ("name",),
    WORKERS_DEPLOYMENT: ("scriptName",),
    KV_NAMESPACE: ("title",),
    D1_DATABASE: ("name",),
    QUEUE: ("queueName",),
    QUEUE_CONSUMER: ("scriptName", "deadLetterQueue"),
    DISPATCH_NAMESPACE: ("name",),
    CUSTOM_DOMAIN: ("service",),
}
SECRET_NAME_PROPS: dict[str, tuple[str, ...]] = {SECRETS_STORE_SECRET: ("name",)}
# Binding type -> (field, style) of the name it refers to.
BINDING_NAME_FIELDS: dict[str, tuple[str, str]] = {
    "service": ("service", "hyphen"),
    "queue": ("queueName", "hyphen"),
    "dispatch_namespace": ("namespace", "hyphen"),
    "secrets_store_secret": ("secretName", "secret"),
}
_SECRET_SUFFIX = naming.secret_name("", "staging")  # "_STAGING"


def _physical_names(view: ResourceView, config: PolicyConfig) -> Iterator[tuple[str, str, str]]:
    """(where, name, style) for every physical name the resource holds.

    Tenant scripts are left out: they are named inside their namespace (whose own name carries
    the suffix), and binding to one is rule no-service-binding-to-tenant-script's business."""
    for style, props in (("hyphen", HYPHEN_NAME_PROPS), ("secret", SECRET_NAME_PROPS)):
        for prop in props.get(view.type, ()):
            value = view.get(prop)
            if isinstance(value, str) and value:
                yield prop, value, style
    if view.type in BINDING_HOLDERS:
        for b in _bindings(view):
            field_style = BINDING_NAME_FIELDS.get(str(b.get("type")))
            if field_style is None:
                continue
            field, style = field_style
            value = b.get(field)
            if b.get("type") == "service" and value in config.tenant_scripts:
                continue
            if isinstance(value, str) and value:
                yield f"binding {b.get('name')} ({field})", value, style


def _foreign(name: str, style: str, env: Environment) -> tuple[str, str] | None:
    """(other environment, the name to use instead), or None if `name` fits `env`."""
    if style == "hyphen":
        other = naming.foreign_environment(name, env)
        return (other, naming.for_environment(name, env)) if other else None
    staging_name = name.endswith(_SECRET_SUFFIX)
    if env == "prod" and staging_name:
        return "staging", name.removesuffix(_SECRET_SUFFIX)
    if env == "staging" and not staging_name:
        return "prod", naming.secret_name(name, "staging")
    return None


@resource_rule(
    "no-foreign-environment-names",
    "Names in a stack belong to its environment: every staging name ends in -staging "
    "(_STAGING for secrets); no prod name does.",
    uses_config=True,
)
def no_foreign_environment_names(view: ResourceView, config: PolicyConfig) -> Iterator[str]:
    env = view.environment
    if env is None:
        return
    for where, name, style in _physical_names(view, config):
        found = _foreign(name, style, env)
        if found:
            other, fix = found
            yield (
                f"{_kind(view)} '{view.name}': {where} is '{name}', a {other} name, in the {env} "
                f"stack, so it would use or overwrite the {other} resource; use '{fix}' "
                "(stacks/naming.py)"
            )


# --- 6. no service binding to a script inside a dispatch namespace ----------------------------


@resource_rule(
    "no-service-binding-to-tenant-script",
    "No service binding calls a tenant script of a dispatch namespace (such bindings do not "
    "resolve on Cloudflare).",
    uses_config=True,
)
def no_service_binding_to_tenant_script(view: ResourceView, config: PolicyConfig) -> Iterator[str]:
    if view.type not in BINDING_HOLDERS:
        return
    for b in _bindings(view, "service"):
        target = b.get("service")
        if isinstance(target, str) and target in config.tenant_scripts:
            yield (
                f"binding {b.get('name')} of {_script_label(view)} calls '{target}', a tenant "
                f"script of dispatch namespace '{config.tenant_scripts[target]}' (tenant scripts "
                f"from {config.source}); service bindings to scripts inside a dispatch namespace "
                "do not resolve on Cloudflare. Bind the namespace (`dispatchNamespace:`) and "
                "dispatch to the script from the worker instead"
            )


# --- 7. no wildcard custom domain -------------------------------------------------------------


@resource_rule(
    "no-wildcard-custom-domain",
    "Worker custom domains are exact hostnames (Cloudflare rejects wildcards).",
)
def no_wildcard_custom_domain(view: ResourceView, config: PolicyConfig) -> Iterator[str]:
    hostname = view.get("hostname")
    if view.type == CUSTOM_DOMAIN and isinstance(hostname, str) and "*" in hostname:
        yield (
            f"custom domain '{hostname}' has a wildcard (Cloudflare: \"Wildcard operators are "
            'not allowed in Custom Domains"); use an exact hostname, or a route for a pattern'
        )


# --- 8. secret-looking bindings are never plain text ------------------------------------------


def looks_secret(binding_name: str) -> bool:
    upper = binding_name.upper()
    return upper.endswith(SECRET_LIKE_SUFFIXES) or "PASSWORD" in upper


@resource_rule(
    "secret-binding-not-plain-text",
    "A binding named like a secret (*_KEY, *_TOKEN, *_SECRET, *PASSWORD*) is never plain_text.",
)
def secret_binding_not_plain_text(view: ResourceView, config: PolicyConfig) -> Iterator[str]:
    if view.type not in BINDING_HOLDERS:
        return
    for b in _bindings(view, "plain_text"):
        name = b.get("name")
        if isinstance(name, str) and looks_secret(name):
            yield (
                f"binding {name} of {_script_label(view)} looks like a secret but is plain_text, "
                "so its value is stored and shown in clear; bind a Secrets Store secret "
                "(`secret:`) or a secret_text (`secretText:` naming a config key set with "
                "`pulumi config set --secret`)"
            )


# --- 9. Route 53 TXT strings are at most 255 characters ---------------------------------------


@resource_rule(
    "route53-txt-string-length",
    'Every string of a Route 53 TXT value (the parts between `""`) is at most 255 characters.',
)
def route53_txt_string_length(view: ResourceView, config: PolicyConfig) -> Iterator[str]:
    if view.type != ROUTE53_RECORD or view.get("type") != "TXT":
        return
    for i, value in enumerate(_items(view.get("records"))):
        if not isinstance(value, str):
            continue
        lengths = [len(chunk) for chunk in value.split('""')]
        too_long = [n for n in lengths if n > TXT_STRING_MAX]
        if too_long:
            host = view.get("name")
            where = f"'{host}'" if isinstance(host, str) else f"'{view.name}'"
            yield (
                f"TXT record {where} value {i} has a string of {max(too_long)} characters; "
                f"Route 53 takes at most {TXT_STRING_MAX} per string: split the value into "
                '255-character strings joined by `""` in one record value '
                "(components.mail.route53.split_txt)"
            )


# --- running them -----------------------------------------------------------------------------


def check_views(views: Sequence[ResourceView], config: PolicyConfig) -> list[Violation]:
    """Every rule over every resource, sorted by resource then rule."""
    found: list[Violation] = []
    for rule in RULES:
        if rule.scope == "resource":
            for view in views:
                found += rule.check(view, config)
        else:
            found += rule.check(views, config)
    return sorted(found, key=lambda v: (v.urn, v.rule, v.message))
