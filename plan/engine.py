"""Run the real Pulumi program under the SDK's mock engine and capture every registration.

No Pulumi CLI, no credentials, no network: the mock monitor answers each registration with the
inputs plus placeholder ids ("<name.id>"), and a recording monitor keeps what the engine would
have been asked to create, with its options (protect, retain, dependencies, aliases).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
import pickle
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pulumi
from pulumi.output import Unknown
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from plan.manifest import SECRET, UNKNOWN, Manifest, Resource, digest
from plan.stackfile import STAND_IN_PREFIX, read_stack_config

# Outputs a provider computes that other resources consume (ids mostly). The mock answers them
# with readable placeholders so a plan shows which resource a binding points at. List-valued
# outputs are marked with a trailing "[]".
COMPUTED_OUTPUTS: dict[str, tuple[str, ...]] = {
    "cloudflare:index/queue:Queue": ("queue_id",),
    "cloudflare:index/workersForPlatformsDispatchNamespace:WorkersForPlatformsDispatchNamespace": (
        "namespace_id",
    ),
    "aws:route53/record:Record": ("fqdn",),
    "pulumi-python:dynamic/postmark:Server": (
        "server_id",
        "api_tokens[]",
        "inbound_hash",
        "server_link",
        "inbound_address",
    ),
    "pulumi-python:dynamic/postmark:Domain": (
        "domain_id",
        "dkim_host",
        "dkim_text_value",
        "return_path_cname_value",
    ),
}
PROGRAM_PACKAGES = ("stacks", "components")


def computed_placeholders(type_: str, name: str) -> dict[str, Any]:
    """The placeholders the mock answers for the computed outputs of resource `name` of `type_`
    (snake_case keys): "<name.key>", or ["<name.key[0]>"] for a list-valued output."""
    placeholders: dict[str, Any] = {}
    for key in COMPUTED_OUTPUTS.get(type_, ()):
        if key.endswith("[]"):
            key = key[:-2]
            placeholders[key] = [f"<{name}.{key}[0]>"]
        else:
            placeholders[key] = f"<{name}.{key}>"
    return placeholders


class PlaceholderMocks(pulumi_mocks.Mocks):
    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        state = {**computed_placeholders(args.typ, args.name), **args.inputs}
        return (f"<{args.name}.id>" if args.custom else "", state)

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict:
        return {}


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi_mocks.Mocks):
        super().__init__(mocks)
        self.recorded: list[Resource] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the real engine forms them: the type is qualified by the parent's whole type
        chain, and resources directly under the stack carry no stack type (the SDK's mock monitor
        keeps only the last parent type and includes the stack's)."""
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != "pulumi:pulumi:Stack":
                type_ = f"{parent_type}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.recorded.append(_record(request, response.urn))
        return response


def _record(request, urn: str) -> Resource:
    raw = rpc.deserialize_properties(request.object, keep_unknowns=True)
    raw.pop("__provider", None)  # the pickled dynamic provider: code, not configuration
    inputs, secret_inputs, digests = {}, [], {}
    for key in sorted(raw):
        opened = _open_sensitive_list(request.type, key, raw[key])
        if opened is not None:
            inputs[key], leaf_digests = opened
            secret_inputs += sorted(leaf_digests)
            digests.update(leaf_digests)
            continue
        value, has_secret = _clean(raw[key])
        inputs[key] = value
        if has_secret:
            secret_inputs.append(key)
            digests[key] = digest(_reveal_for_digest(raw[key]))
    return Resource(
        urn=urn,
        type=request.type,
        name=request.name,
        parent=request.parent or None,
        custom=request.custom,
        inputs=inputs,
        secret_inputs=secret_inputs,
        secret_digests=digests,
        protect=request.protect if request.HasField("protect") else False,
        retain_on_delete=request.retainOnDelete if request.HasField("retainOnDelete") else False,
        delete_before_replace=request.deleteBeforeReplace,
        dependencies=sorted(set(request.dependencies)),
        aliases=sorted(_alias(a) for a in request.aliases),
        ignore_changes=sorted(request.ignoreChanges),
    )


# List inputs whose items carry one provider-sensitive field. The SDK marks a whole list secret
# when one item holds a secret, which would hide every binding of a worker with one secret_text
# binding from plans, diffs and policies. For these lists the recorder opens the list and masks
# just that field: (list key, item field to match, value that marks it sensitive, field to mask).
SENSITIVE_LIST_ITEMS: dict[str, tuple[str, str, str, str]] = {
    "cloudflare:index/workersScript:WorkersScript": ("bindings", "type", "secret_text", "text"),
    "cloudflare:index/workerVersion:WorkerVersion": ("bindings", "type", "secret_text", "text"),
}


def _open_sensitive_list(type_: str, key: str, value: Any) -> tuple[Any, dict[str, str]] | None:
    """(the list with sensitive fields masked, {"key[item].field": digest}) or None to keep the
    whole value secret. Opening is refused when anything else in the list came from a secure
    config value, so nothing secret is ever shown."""
    rule = SENSITIVE_LIST_ITEMS.get(type_)
    if rule is None or rule[0] != key or not rpc.is_rpc_secret(value):
        return None
    _, match_field, match_value, masked_field = rule
    items = _reveal_for_digest(value)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return None
    opened, digests = [], {}
    for item in items:
        if item.get(match_field) == match_value and masked_field in item:
            digests[f"{key}[{item.get('name')}].{masked_field}"] = digest(item[masked_field])
            item = {**item, masked_field: SECRET}
        opened.append(item)
    if STAND_IN_PREFIX in json.dumps(opened, default=str):
        return None
    return _clean(opened)[0], digests


def _clean(value: Any) -> tuple[Any, bool]:
    """Replace secrets and unknowns with markers; report whether a secret was inside."""
    if rpc.is_rpc_secret(value):
        return SECRET, True
    if isinstance(value, Unknown) or value == rpc.UNKNOWN:
        return UNKNOWN, False
    if isinstance(value, dict):
        out, secret = {}, False
        for k in sorted(value):
            out[k], s = _clean(value[k])
            secret |= s
        return out, secret
    if isinstance(value, list):
        items = [_clean(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    if isinstance(value, float) and value.is_integer():
        return int(value), False
    return value, False


def _reveal_for_digest(value: Any) -> Any:
    """Unwrap secrets only to digest them; the values are stand-ins from the stack file."""
    if rpc.is_rpc_secret(value):
        return _reveal_for_digest(rpc.unwrap_rpc_secret(value))
    if isinstance(value, Unknown) or value == rpc.UNKNOWN:
        return UNKNOWN  # a secret config key not set: the same digest in every run
    if isinstance(value, dict):
        return {k: _reveal_for_digest(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal_for_digest(v) for v in value]
    return value


def _alias(alias) -> str:
    if alias.urn:
        return alias.urn
    spec = alias.spec
    parts = [f"name={spec.name}" if spec.name else "", f"type={spec.type}" if spec.type else ""]
    if spec.noParent:
        parts.append("parent=<root>")
    elif spec.parentUrn:
        parts.append(f"parent={spec.parentUrn}")
    return "alias(" + ",".join(p for p in parts if p) + ")"


def install_mocks(project: str, stack: str) -> RecordingMonitor:
    """Point the SDK at a fresh recording mock monitor (call it inside a fresh context)."""
    # set_mocks keeps a root stack resource it can still see; start from none so that a second
    # evaluation in one process never parents its resources to the first stack.
    pulumi.runtime.settings.ROOT.set(None)
    mocks = PlaceholderMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    return monitor


def _program_modules() -> dict[str, Any]:
    return {n: m for n, m in sys.modules.items() if n.split(".")[0] in PROGRAM_PACKAGES}


@contextmanager
def _program_from(project_dir: Path) -> Iterator[None]:
    """Import the program's packages from `project_dir`.

    For the tree already loaded (the usual case) this does nothing. For another tree (a base
    worktree evaluated in this process) it swaps every program module out and, afterwards, puts
    back exactly the modules and import path the caller had, so the classes the caller holds
    (ConfigError, providers...) stay the ones in use."""
    path = str(project_dir.resolve())
    loaded = _program_modules()
    if not loaded:  # first evaluation in this process: this tree becomes the loaded one
        if sys.path[:1] != [path]:
            sys.path.insert(0, path)
        yield
        return
    if all(_module_file(m).startswith(path + "/") for m in loaded.values()):
        yield
        return
    saved_path = list(sys.path)
    for name in loaded:
        del sys.modules[name]
    sys.path.insert(0, path)
    try:
        yield
    finally:
        for name in _program_modules():
            del sys.modules[name]
        sys.modules.update(loaded)
        sys.path[:] = saved_path


def _module_file(module: Any) -> str:
    return getattr(module, "__file__", None) or ""


def evaluate(
    project_dir: Path,
    stack: str,
    *,
    config_dir: Path | None = None,
    **run_kwargs: Any,
) -> Manifest:
    """Run the program of `project_dir` for `stack` under mocks and return its manifest.

    config_dir: where Pulumi.yaml / Pulumi.<stack>.yaml are (default: project_dir); the worker
    bundles are read there too, so each side of `plan diff` reads its own tree's bundles.
    Raises stacks.errors.ConfigError for an invalid config (nothing is registered then).
    """
    # The SDK keeps settings, config and the root stack in context variables: an empty context
    # per evaluation keeps one stack's state from leaking into the next in the same process.
    return contextvars.Context().run(_evaluate, project_dir, stack, config_dir, run_kwargs)


def _evaluate(
    project_dir: Path,
    stack: str,
    config_dir: Path | None,
    run_kwargs: dict[str, Any],
) -> Manifest:
    config_dir = config_dir or project_dir
    config = read_stack_config(config_dir, stack)
    with _program_from(project_dir), _event_loops(), _pickler_restored():
        return _evaluate_here(config, stack, config_dir, run_kwargs)


@contextmanager
def _pickler_restored() -> Iterator[None]:
    """The SDK's dynamic-provider serialization wraps `pickle._Pickler._batch_setitems` once more
    for every dynamic resource and never unwraps it: in a process that evaluates stacks again
    and again (the tests, the benchmark) the chain grows until pickling a provider raises
    RecursionError. Each evaluation leaves pickle as it found it."""
    original = pickle._Pickler._batch_setitems  # noqa: SLF001 (what the SDK patches)
    try:
        yield
    finally:
        pickle._Pickler._batch_setitems = original  # noqa: SLF001


def _evaluate_here(
    config: Any, stack: str, config_dir: Path, run_kwargs: dict[str, Any]
) -> Manifest:
    from stacks import program  # imported after choosing which tree it comes from

    pulumi.runtime.set_all_config(config.values, config.secret_keys)
    monitor = install_mocks(config.project, stack)
    run_kwargs.setdefault("missing_bundles", "unknown")
    run_kwargs.setdefault("missing_secrets", "unknown")
    run_kwargs.setdefault("project_dir", config_dir.resolve())
    # A base tree's program (plan diff) may predate an option: pass only those it takes.
    accepted = inspect.signature(program.run).parameters
    run_kwargs = {k: v for k, v in run_kwargs.items() if k in accepted}

    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def run_program():
        built = program.run(**run_kwargs)
        # Under the test harness exports are not registered on a stack resource: resolve the
        # platform's outputs directly. They hold ids and names only, never secrets.
        return pulumi.Output.from_input(built.outputs()).apply(outputs.update)

    run_program()
    resources = _relative_paths(monitor.recorded, config_dir)
    return Manifest(
        project=config.project, stack=stack, resources=resources, outputs=_clean(outputs)[0]
    )


class _RecordingLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """The default policy, keeping every loop it makes so that they can all be closed."""

    def __init__(self) -> None:
        super().__init__()
        self.loops: list[asyncio.AbstractEventLoop] = []

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        self.loops.append(loop)
        return loop


@contextmanager
def _event_loops() -> Iterator[None]:
    """Every event loop of one evaluation is closed when it ends.

    The SDK makes a loop for the main thread and one for each thread of that loop's default
    executor (its `_ensure_event_loop`, for the mock monitor's calls), and closes none. A loop
    left open is cyclic garbage once its thread is gone; when the collector finalizes its
    self-pipe socket before the loop, the loop's `__del__` prints "Exception ignored in:
    <function BaseEventLoop.__del__> ... Invalid file descriptor: -1", typically at interpreter
    exit after a good plan. The evaluation runs under a policy of its own that records each loop
    it makes; afterwards the executor's threads are joined, every loop is closed, and the
    caller's policy (with the caller's own loop, if any) is put back."""
    previous = asyncio.get_event_loop_policy()
    policy = _RecordingLoopPolicy()
    asyncio.set_event_loop_policy(policy)
    try:
        yield
    finally:
        for loop in policy.loops:
            if not loop.is_closed() and not loop.is_running():
                loop.run_until_complete(loop.shutdown_default_executor())
        for loop in policy.loops:
            if not loop.is_closed() and not loop.is_running():
                loop.close()
        asyncio.set_event_loop_policy(previous)


def _relative_paths(resources: list[Resource], root: Path) -> list[Resource]:
    """The manifest keeps every path relative to the project so that two checkouts of one
    commit match (a base tree's program may still hand the provider absolute paths)."""
    prefix = str(root.resolve()) + "/"

    def strip(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(prefix):
            return value[len(prefix) :]
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    for resource in resources:
        resource.inputs = strip(resource.inputs)
    return resources
