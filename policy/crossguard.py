"""CrossGuard adapters: pulumi_policy's arguments in, the stacks.guards rules run, violations out.

Every rule becomes one policy of the same name: a resource rule a ResourceValidationPolicy (it
blocks the resource before its step), a stack rule a StackValidationPolicy (it sees all resources,
after `preview`, or after the deployment under `up`). policy/__main__.py puts them in the pack.

What the pack sees differs from the offline manifest, and the adapters absorb it:
- props are proxies that raise on a value unknown during preview; the adapters turn such values
  into `UNKNOWN`, so one unknown id skips one check instead of the whole policy;
- secrets arrive in plaintext (the rules never print prop values that could be secrets);
- the stack is read from the URN; `retain_on_delete` is not visible (checked by unit tests).

Rules that read `PolicyConfig` (external workers, tenant scripts) take it from the policy config
(`--policy-pack-config`: `{"<policy>": {"externalWorkers": [...], "tenantScripts": {ns: [...]}}}`)
when it sets those keys, and otherwise from the stack config `edge-platform:platform`, which the
Pulumi CLI passes to the pack's process (PULUMI_CONFIG; pulumi_policy loads it before each
analysis), so `pulumi preview --policy-pack policy` needs no extra file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import proxy as _proxy

from stacks.errors import CONFIG_KEY
from stacks.guards.config import (
    CONFIG_NAMESPACE,
    EXTERNAL_WORKERS,
    PLATFORM_KEY,
    TENANT_SCRIPTS,
    PolicyConfig,
)
from stacks.guards.rules import RULES, Rule
from stacks.guards.view import UNKNOWN, ResourceView, stack_of_urn

PACK_NAME = "edge-platform-guards"

CONFIG_SCHEMA: dict[str, dict[str, Any]] = {
    EXTERNAL_WORKERS: {
        "type": "array",
        "items": {"type": "string"},
        "description": "Script names of workers owned elsewhere that service bindings may call "
        "(the stack's `externalWorkers`). Default: read from the stack config.",
    },
    TENANT_SCRIPTS: {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "description": "Dispatch namespace (logical name) -> its tenant script names (the "
        "stack's `dispatchNamespaces.<ns>.tenantScripts`). Default: read from the stack config.",
    },
}
"""JSON schema of the policy config (no defaults: an absent key means "use the stack config")."""


_UNKNOWN_SENTINELS = frozenset(
    {
        _proxy.UNKNOWN_BOOLEAN_VALUE,
        _proxy.UNKNOWN_NUMBER_VALUE,
        _proxy.UNKNOWN_STRING_VALUE,
        _proxy.UNKNOWN_ARRAY_VALUE,
        _proxy.UNKNOWN_ASSET_VALUE,
        _proxy.UNKNOWN_ARCHIVE_VALUE,
        _proxy.UNKNOWN_OBJECT_VALUE,
    }
)


def plain(value: Any) -> Any:
    """Props as plain dicts and lists, with every value unknown during preview as UNKNOWN."""
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, str):
        return UNKNOWN if value in _UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        return {str(k): _read(value, k) for k in value}
    if isinstance(value, Sequence):
        return [_read(value, i) for i in range(len(value))]
    return value


def _read(container: Any, key: Any) -> Any:
    try:
        item = container[key]
    except _proxy.UnknownValueError:
        return UNKNOWN
    return plain(item)


def view_from_args(args: ResourceValidationArgs) -> ResourceView:
    """The view of the resource a ResourceValidationPolicy is asked about."""
    return ResourceView(
        type=args.resource_type,
        name=args.name,
        urn=args.urn,
        props=plain(args.props),
        protect=bool(args.opts.protect),
        parent=args.opts.parent or None,
        stack=stack_of_urn(args.urn),
    )


def view_from_resource(resource: PolicyResource) -> ResourceView:
    """The view of one resource of a StackValidationPolicy's stack."""
    parent = resource.parent.urn if resource.parent is not None else resource.opts.parent
    return ResourceView(
        type=resource.resource_type,
        name=resource.name,
        urn=resource.urn,
        props=plain(resource.props),
        protect=bool(resource.opts.protect),
        parent=parent or None,
        stack=stack_of_urn(resource.urn),
    )


def stack_config() -> PolicyConfig:
    """External workers and tenant scripts from the stack config the CLI gave the pack."""
    import pulumi

    platform = pulumi.Config(CONFIG_NAMESPACE).get_object(PLATFORM_KEY)
    if platform is None:
        return PolicyConfig(source=f"nowhere (no policy config, and no stack config {CONFIG_KEY})")
    return PolicyConfig.from_platform(platform, source=f"stack config {CONFIG_KEY}")


def config_for(policy_config: Mapping[str, Any] | None) -> PolicyConfig:
    return stack_config().overridden_by(policy_config)


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        config = config_for(args.get_config()) if rule.uses_config else PolicyConfig()
        for violation in rule.check(view_from_args(args), config):
            report(violation.message)

    return ResourceValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        config_schema=PolicyConfigSchema(CONFIG_SCHEMA) if rule.uses_config else None,
    )


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        config = config_for(args.get_config()) if rule.uses_config else PolicyConfig()
        views = [view_from_resource(r) for r in args.resources]
        for violation in rule.check(views, config):
            report(violation.message, violation.urn)

    return StackValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        config_schema=PolicyConfigSchema(CONFIG_SCHEMA) if rule.uses_config else None,
    )


def policies() -> list[Policy]:
    """One CrossGuard policy per rule of stacks.guards.rules, with the rule's name."""
    return [_resource_policy(r) if r.scope == "resource" else _stack_policy(r) for r in RULES]
