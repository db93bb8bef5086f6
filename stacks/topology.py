"""Cross-reference checks over a well-formed platform config.

Each check returns problems instead of raising, so a user sees every mistake in one run. These
catch, before deploy, what Cloudflare would otherwise report in production: "Could not resolve
service binding", "Queue does not exist", "Wildcard operators are not allowed in Custom Domains".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlsplit

from pydantic.alias_generators import to_camel

from stacks import naming
from stacks.errors import Problem
from stacks.schema import JS_IDENTIFIER, BindingSpec, PlatformSpec


def check(spec: PlatformSpec, *, names: bool = True) -> list[Problem]:
    """Every cross-reference problem of `spec`.

    names: check names against `spec.environment` (a staging name in prod...). Off while the
    environment does not match the stack: which of the two is wrong is not known yet, and one
    problem then stands for all of them."""
    return [
        *(_environment(spec) if names else []),
        *_unique_names(spec),
        *_queues(spec),
        *_worker_bindings(spec, names=names),
        *_candidates(spec, names=names),
        *_consumers(spec),
        *_tenant_scripts(spec, names=names),
        *_custom_domains(spec),
        *_secrets(spec),
        *_mail(spec),
    ]


def _declared_scripts(spec: PlatformSpec) -> dict[str, str]:
    """Script name -> logical worker name, for workers this stack owns."""
    return {naming.physical(name, spec.environment): name for name in spec.workers}


def _tenant_scripts_by_name(spec: PlatformSpec) -> dict[str, str]:
    return {
        script: ns
        for ns, nsspec in spec.dispatch_namespaces.items()
        for script in nsspec.tenant_scripts
    }


def _dead_letter_queues(spec: PlatformSpec) -> dict[str, str]:
    """DLQ logical name -> the queue it serves."""
    return {q.dead_letter_queue: name for name, q in spec.queues.items() if q.dead_letter_queue}


def _environment(spec: PlatformSpec) -> Iterator[Problem]:
    env = spec.environment
    if env == "prod" and not spec.protect_stateful:
        yield Problem(
            "protectStateful",
            "prod always protects stateful resources; remove `protectStateful: false`",
        )
    declared = _declared_scripts(spec)
    for i, name in enumerate(spec.external_workers):
        path = f"externalWorkers[{i}]"
        other = naming.foreign_environment(name, env)
        if other:
            yield Problem(
                path,
                f"'{name}' is a {other} name in the {env} stack; "
                f"use '{naming.for_environment(name, env)}'",
            )
        if name in declared:
            yield Problem(
                path,
                f"'{name}' is declared under `workers` too; a worker is owned here or external, "
                "not both",
            )
    for name, count in Counter(spec.external_workers).items():
        if count > 1:
            yield Problem("externalWorkers", f"'{name}' is listed {count} times")


def _unique_names(spec: PlatformSpec) -> Iterator[Problem]:
    """One logical name, one data resource: plans and ids (`<name.id>`) refer to it by name."""
    owners: dict[str, str] = {}
    sections = [
        ("kvNamespaces", spec.kv_namespaces),
        ("d1Databases", spec.d1_databases),
        ("queues", spec.queues),
        ("queues (dead-letter)", _dead_letter_queues(spec)),
        ("dispatchNamespaces", spec.dispatch_namespaces),
    ]
    for section, names in sections:
        for name in names:
            if name in owners and owners[name] != section:
                yield Problem(
                    f"{section.split()[0]}.{name}",
                    f"'{name}' is also declared under `{owners[name]}`; give each resource its "
                    "own name",
                )
            owners.setdefault(name, section)


def _queues(spec: PlatformSpec) -> Iterator[Problem]:
    consumed = {c.queue for w in spec.workers.values() for c in w.consumes}
    seen: dict[str, str] = {}
    for name, q in spec.queues.items():
        dlq = q.dead_letter_queue
        if dlq is None:
            if name not in consumed:  # a consumed one is reported at its consumer
                yield Problem(
                    f"queues.{name}",
                    f"queue '{name}' has no `deadLetterQueue`; every queue here gets one so that "
                    "messages whose retries run out are kept, whoever consumes it",
                )
            continue
        path = f"queues.{name}.deadLetterQueue"
        if dlq == name:
            yield Problem(path, "a queue cannot be its own dead-letter queue; name another queue")
        elif dlq in spec.queues:
            yield Problem(
                path,
                f"'{dlq}' is declared as a queue too; the dead-letter queue is created with "
                f"'{name}', so remove it from `queues`",
            )
        elif dlq in seen:
            yield Problem(path, f"'{dlq}' is already the dead-letter queue of '{seen[dlq]}'")
        seen[dlq] = name


def _worker_bindings(spec: PlatformSpec, *, names: bool) -> Iterator[Problem]:
    for worker, wspec in spec.workers.items():
        path = f"workers.{worker}.bindings"
        yield from _bindings(spec, path, wspec.bindings, tenant=False, names=names)


def _candidates(spec: PlatformSpec, *, names: bool) -> Iterator[Problem]:
    """A candidate's bindings point at things that exist, it removes only what the stable
    version has (and says so), and it differs from the stable version."""
    for worker, wspec in spec.workers.items():
        candidate = wspec.candidate
        if candidate is None:
            continue
        path = f"workers.{worker}.candidate"
        yield from _bindings(
            spec, f"{path}.bindings", candidate.bindings, tenant=False, names=names
        )
        stable = {b.name for b in wspec.bindings}
        overridden = {b.name for b in candidate.bindings}
        for i, name in enumerate(candidate.remove_bindings):
            here = f"{path}.removeBindings[{i}]"
            if name not in stable:
                yield Problem(
                    here,
                    f"'{name}' is not a binding of the stable version "
                    f"(its bindings: {_list(stable)}); nothing to remove",
                )
            elif name in overridden:
                yield Problem(
                    here,
                    f"'{name}' is both removed and set in `{path}.bindings`; keep one",
                )
        if wspec.candidate_key() == wspec.stable_key():
            yield Problem(
                path,
                "is the same version as the stable one (same bundle, same bindings); give it "
                "a `bundle`, `bindings` or `removeBindings` that differ, or delete `candidate`",
            )


def _tenant_scripts(spec: PlatformSpec, *, names: bool) -> Iterator[Problem]:
    for ns, nsspec in spec.dispatch_namespaces.items():
        for script, sspec in nsspec.tenant_scripts.items():
            path = f"dispatchNamespaces.{ns}.tenantScripts.{script}.bindings"
            yield from _bindings(spec, path, sspec.bindings, tenant=True, names=names)


def _bindings(
    spec: PlatformSpec, path: str, bindings: list[BindingSpec], *, tenant: bool, names: bool
) -> Iterator[Problem]:
    counts = Counter(b.name for b in bindings)
    for i, b in enumerate(bindings):
        here = f"{path}[{i}]"
        if not JS_IDENTIFIER.match(b.name):
            yield Problem(
                f"{here}.name",
                f"'{b.name}' is not a valid JavaScript identifier (letters, digits, _ and $, "
                "not starting with a digit); workers read bindings as `env.NAME`",
            )
        if counts[b.name] > 1:
            yield Problem(f"{here}.name", f"binding name '{b.name}' is used {counts[b.name]} times")
        yield from _binding_target(spec, here, b, tenant=tenant, names=names)


def _binding_target(
    spec: PlatformSpec, here: str, b: BindingSpec, *, tenant: bool, names: bool
) -> Iterator[Problem]:
    kind, target = b.kind, b.target
    key = f"{here}.{to_camel(kind)}"
    if kind == "service":
        yield from _service_target(spec, key, target, tenant=tenant, names=names)
    elif kind == "queue":
        if target not in spec.queues and target not in _dead_letter_queues(spec):
            yield Problem(
                key,
                f"queue '{target}' is not declared (Cloudflare: \"Queue does not exist\"); "
                f"declare it under `queues` (declared: {_list(spec.queues)})",
            )
    elif kind in ("kv", "d1", "dispatch_namespace"):
        section, declared = {
            "kv": ("kvNamespaces", spec.kv_namespaces),
            "d1": ("d1Databases", spec.d1_databases),
            "dispatch_namespace": ("dispatchNamespaces", spec.dispatch_namespaces),
        }[kind]
        if target not in declared:
            yield Problem(
                key, f"'{target}' is not declared under `{section}` (declared: {_list(declared)})"
            )
    elif kind == "secret":
        known = set(spec.secrets)
        if spec.mail and spec.mail.server_token_secret:
            known.add(spec.mail.server_token_secret)
        if target not in known:
            yield Problem(
                key, f"secret '{target}' is not declared under `secrets` (declared: {_list(known)})"
            )
        if spec.secrets_store is None:
            yield Problem(
                key, "secret bindings need a `secretsStore` (an existing `id` or a `name`)"
            )


def _service_target(
    spec: PlatformSpec, key: str, target: str, *, tenant: bool, names: bool
) -> Iterator[Problem]:
    env = spec.environment
    declared = _declared_scripts(spec)
    tenants = _tenant_scripts_by_name(spec)
    if target in tenants:
        if tenant:
            yield Problem(
                key,
                f"'{target}' is a script in dispatch namespace '{tenants[target]}'; service "
                "bindings between scripts inside dispatch namespaces do not resolve on Cloudflare; "
                "route through the dispatcher worker instead",
            )
        else:
            yield Problem(
                key,
                f"'{target}' lives in dispatch namespace '{tenants[target]}' and cannot be a "
                "service binding target; bind the namespace with `dispatchNamespace` instead",
            )
        return
    other = naming.foreign_environment(target, env) if names else None
    if other:
        yield Problem(
            key,
            f"'{target}' is a {other} worker name in the {env} stack; "
            f"use '{naming.for_environment(target, env)}'",
        )
        return
    if names and target not in declared and target not in spec.external_workers:
        known = sorted(declared) + sorted(spec.external_workers)
        yield Problem(
            key,
            f"service '{target}' is neither declared under `workers` nor listed in "
            f'`externalWorkers` (Cloudflare: "Could not resolve service binding"); '
            f"known scripts: {', '.join(known) or 'none'}",
        )


def _consumers(spec: PlatformSpec) -> Iterator[Problem]:
    consumed_by: dict[str, str] = {}
    for worker, wspec in spec.workers.items():
        for i, c in enumerate(wspec.consumes):
            path = f"workers.{worker}.consumes[{i}].queue"
            if c.queue not in spec.queues:
                yield Problem(
                    path,
                    f"queue '{c.queue}' is not declared (Cloudflare: \"Queue does not exist\"); "
                    f"declare it under `queues` (declared: {_list(spec.queues)})",
                )
                continue
            if spec.queues[c.queue].dead_letter_queue is None:
                yield Problem(
                    path,
                    f"queue '{c.queue}' is consumed but has no dead-letter queue; set "
                    f"`queues.{c.queue}.deadLetterQueue` so failed messages are kept",
                )
            if c.queue in consumed_by:
                yield Problem(
                    path,
                    f"queue '{c.queue}' already has consumer '{consumed_by[c.queue]}'; Cloudflare "
                    "allows one worker consumer per queue",
                )
            consumed_by[c.queue] = worker


_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def _custom_domains(spec: PlatformSpec) -> Iterator[Problem]:
    owners: dict[str, str] = {}
    for worker, wspec in spec.workers.items():
        for i, d in enumerate(wspec.custom_domains):
            path = f"workers.{worker}.customDomains[{i}].hostname"
            problem = hostname_problem(d.hostname)
            if problem:
                yield Problem(path, problem)
            elif d.hostname in owners:
                yield Problem(
                    path,
                    f"'{d.hostname}' is already a custom domain of {owners[d.hostname]}; a "
                    "hostname serves one worker: remove one of them",
                )
            owners.setdefault(d.hostname, f"worker '{worker}'")


def hostname_problem(hostname: str) -> str | None:
    """What keeps `hostname` from being a Custom Domain's bare hostname, or None."""
    if not hostname.strip():
        return "must not be empty; give a hostname such as 'api.example.com'"
    suggestion = _bare_host(hostname)
    instead = f": give '{suggestion}'" if suggestion and suggestion != hostname else ""
    if any(c.isspace() for c in hostname):
        return f"'{hostname}' has spaces; a Custom Domain is a bare hostname{instead}"
    if "://" in hostname:
        return f"'{hostname}' is a URL; a Custom Domain is a bare hostname{instead}"
    if "*" in hostname:
        return (
            f"'{hostname}' has a wildcard (Cloudflare: \"Wildcard operators are not allowed in "
            'Custom Domains"); use an exact hostname, or a route for patterns'
        )
    if "/" in hostname or "?" in hostname or "#" in hostname:
        return (
            f"'{hostname}' has a path; a Custom Domain is a bare hostname (a route serves "
            f"paths){instead}"
        )
    if ":" in hostname or "@" in hostname:
        return f"'{hostname}' has a port; a Custom Domain is a bare hostname{instead}"
    if hostname != hostname.lower():
        return f"'{hostname}' has upper-case letters; write hostnames in lower case{instead}"
    labels = hostname.split(".")
    if len(labels) < 2 or len(hostname) > 253 or not all(_LABEL.match(x) for x in labels):
        return (
            f"'{hostname}' is not a hostname: two or more dot-separated labels of letters, digits "
            "and inner hyphens, each 1 to 63 characters, such as 'api.example.com'"
        )
    return None


def _bare_host(text: str) -> str | None:
    stripped = "".join(text.split())
    try:
        host = urlsplit(stripped if "://" in stripped else f"//{stripped}").hostname
    except ValueError:
        return None
    return host or None


def _secrets(spec: PlatformSpec) -> Iterator[Problem]:
    if spec.secrets and spec.secrets_store is None:
        yield Problem(
            "secrets",
            "secrets need a `secretsStore` (an existing store `id`, or a `name` to create)",
        )


def _mail(spec: PlatformSpec) -> Iterator[Problem]:
    mail = spec.mail
    if mail is None:
        return
    if mail.server_token_secret and spec.secrets_store is None:
        yield Problem("mail.serverTokenSecret", "storing the server token needs a `secretsStore`")
    if mail.webhook and mail.webhook.worker not in spec.workers:
        yield Problem(
            "mail.webhook.worker",
            f"worker '{mail.webhook.worker}' is not declared under `workers` "
            f"(declared: {_list(spec.workers)})",
        )
    if mail.server_token_secret in spec.secrets:
        yield Problem(
            "mail.serverTokenSecret",
            f"'{mail.server_token_secret}' is also declared under `secrets`; the stack fills "
            "it from the Postmark server, so remove it there",
        )


def _list(names) -> str:
    return ", ".join(sorted(names)) or "none"
