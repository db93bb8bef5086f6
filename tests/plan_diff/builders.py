"""Hand-built manifests for diff unit tests (URNs formed as the engine forms them)."""

from __future__ import annotations

import copy
from typing import Any

from plan.diff.aliases import engine_urn
from plan.manifest import Manifest, Resource

PROJECT = "edge-platform"
STACK_URN = "urn:pulumi:{stack}::edge-platform::pulumi:pulumi:Stack::edge-platform-{stack}"
ACCOUNT = "0b7e3c2f1a4d4e6f8a9b0c1d2e3f4a5b"

SCRIPT = "cloudflare:index/workersScript:WorkersScript"
D1 = "cloudflare:index/d1Database:D1Database"
KV = "cloudflare:index/workersKvNamespace:WorkersKvNamespace"
QUEUE = "cloudflare:index/queue:Queue"
STORE_SECRET = "cloudflare:index/secretsStoreSecret:SecretsStoreSecret"  # noqa: S105 (a type)
RECORD = "aws:route53/record:Record"
WORKER = "edge:cloudflare:Worker"
MAIL_DNS = "edge:mail:MailDnsRecords"


def resource(
    type_: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    parent: Resource | None = None,
    stack: str = "prod",
    **options: Any,
) -> Resource:
    parent_urn = parent.urn if parent else STACK_URN.format(stack=stack)
    return Resource(
        urn=engine_urn(parent_urn, type_, name),
        type=type_,
        name=name,
        parent=parent_urn,
        custom=not type_.startswith("edge:"),
        inputs=dict(inputs or {}),
        **options,
    )


def manifest(*resources: Resource, stack: str = "prod", outputs: dict | None = None) -> Manifest:
    return Manifest(PROJECT, stack, list(resources), outputs or {})


def worker(name: str, bindings: list[dict[str, Any]], stack: str = "prod") -> list[Resource]:
    """A Worker component and its WorkersScript, as the composition registers them."""
    component = resource(WORKER, name, stack=stack)
    script = resource(
        SCRIPT,
        name,
        {"accountId": ACCOUNT, "scriptName": name, "bindings": bindings, "mainModule": "index.js"},
        parent=component,
        stack=stack,
        aliases=["alias(type=cloudflare:index/workerScript:WorkerScript)"],
    )
    return [component, script]


def d1(name: str = "mail-metadata", **options: Any) -> Resource:
    inputs = {"accountId": ACCOUNT, "name": name, "primaryLocationHint": "weur"}
    options = {"protect": True, "retain_on_delete": True, **options}
    return resource(D1, "mail-metadata", inputs, **options)


def base_platform() -> Manifest:
    """A small prod platform: the auth worker calls the mail worker, which uses D1 and KV."""
    mail_bindings = [
        {"name": "MAIL_DB", "type": "d1", "id": "<mail-metadata.id>"},
        {"name": "MAIL_STATE", "type": "kv_namespace", "namespaceId": "<mail-state.id>"},
    ]
    auth_bindings = [
        {"name": "LOG_LEVEL", "type": "plain_text", "text": "info"},
        {"name": "MAIL_SERVICE", "type": "service", "service": "cosmos-mail-worker"},
    ]
    return manifest(
        d1(),
        resource(KV, "mail-state", {"accountId": ACCOUNT, "title": "mail-state"}, protect=True),
        *worker("bookmarks-mail-worker", mail_bindings),
        *worker("auth", auth_bindings),
        outputs={"workers": {"auth": {"scriptName": "auth"}}},
    )


def edited(m: Manifest) -> Manifest:
    """A deep copy to change."""
    return copy.deepcopy(m)


def find(m: Manifest, type_: str, name: str) -> Resource:
    (found,) = [r for r in m.resources if r.type == type_ and r.name == name]
    return found


def report(*stacks, **options: Any):
    """A DiffReport of (base, head) manifest pairs, classified as `plan diff` does, with a
    policy that finds nothing (none at all with policy_available=False)."""
    from plan.diff.model import DiffReport
    from plan.diff.run import apply_policy, stack_diff
    from plan.diff.sides import SideResult

    diffs = []
    for base, head in stacks:
        name = (head or base).stack
        diffs.append(
            stack_diff(
                name,
                SideResult(manifest=base, missing=base is None),
                SideResult(manifest=head, missing=head is None),
            )
        )
    options.setdefault("timings", {"base": 2.5, "working_tree": 2.4, "total": 2.7})
    available = options.pop("policy_available", True)
    commit = "c0ffee" * 6 + "abcd"
    built = DiffReport(base_ref="origin/main", base_commit=commit, stacks=diffs, **options)
    apply_policy(built, (lambda _manifest: []) if available else None)
    return built
