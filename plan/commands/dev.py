"""`python -m plan dev STACK`: the local twin, every worker of the stack running together in
workerd (through miniflare), with the stack's bindings, on 127.0.0.1.

The config is the stack's own (Pulumi.STACK.yaml of the config directory, through the loader the
plan uses); secrets get local values (plan/twin/secrets.py), never the stack's. Exit codes: 0
after Ctrl-C or SIGTERM (everything stopped), 2 when the twin cannot start.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from plan.cli import app, fail_config
from plan.twin.config import TWIN_DIR, Overrides, Twin, TwinConfigError
from plan.twin.process import RunnerFailed, TwinError
from plan.twin.runtime_check import load_error
from stacks.errors import CONFIG_KEY, Problem
from stacks.loader import LoadedPlatform
from stacks.schema import JS_IDENTIFIER

DEFAULT_PORT = 8787
READY_TIMEOUT_SECONDS = 90


@app.command("dev")
def dev(
    stack: Annotated[str, typer.Argument(help="Stack name: staging or prod.")],
    port: Annotated[
        int,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            help="First port: the workers listen on PORT, PORT+1, ... (0: any free ports).",
        ),
    ] = DEFAULT_PORT,
    secrets_file: Annotated[
        Path | None,
        typer.Option(
            "--secrets",
            help="File of NAME=value lines: local secret values (names as the stack names "
            "them). Otherwise from $EDGE_TWIN_SECRET_<NAME>, else generated.",
        ),
    ] = None,
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var",
            help="NAME=VALUE: a plain-text binding on every worker of the stack, e.g. "
            "POSTMARK_API_URL=http://127.0.0.1:9000 (repeatable).",
        ),
    ] = None,
    stub: Annotated[
        list[str] | None,
        typer.Option(
            "--stub",
            help="NAME=FILE: run FILE (an ES module) as external worker or tenant script NAME "
            "instead of the built-in stub (repeatable).",
        ),
    ] = None,
    twin_dir: Annotated[Path, typer.Option(hidden=True)] = TWIN_DIR,
) -> None:
    """Run every worker STACK declares together in workerd, with the stack's bindings.

    Prints each worker's URL (127.0.0.1 only); Ctrl-C stops everything.
    """
    from plan.twin import config, secrets
    from plan.twin.process import FreePorts, check_packages, find_node

    loaded = load_built(stack, "dev")
    if not loaded.spec.workers:
        fail_config(f"error: stack '{stack}' declares no workers (`workers:`): nothing to run")
    overrides = Overrides(vars=_pairs(var, "--var", _var), stubs=_pairs(stub, "--stub", _stub))
    try:
        local = secrets.resolve(
            config.secret_names(loaded.spec), secrets_file=secrets_file, environ=os.environ
        )
    except secrets.SecretsFileError as err:
        fail_config(str(err))
    values = {name: v.value for name, v in local.items()}
    try:
        find_node()
        check_packages(twin_dir)
        free = FreePorts()
        next_port = free if port == 0 else itertools.count(port).__next__
        twin = config.build(loaded, next_port=next_port, local_values=values, overrides=overrides)
        free.release()
    except (TwinError, TwinConfigError) as err:
        fail_config(f"error: {err}")
    _check_ports(twin, port)
    _run(
        twin,
        twin_dir,
        secrets.Redactor(values.values()),
        [f"{v.name} ({v.source})" for v in local.values()],
    )


def load_built(stack: str, command: str) -> LoadedPlatform:
    """The stack's validated platform (the loader the plan uses), every bundle built."""
    from plan.commands.wrangler import load_platform_or_exit

    loaded = load_platform_or_exit(stack)
    missing = [
        Problem(
            bundle.where,
            f"bundle '{bundle.content_file}' does not exist; build the worker and "
            f"place its bundle there, or point `bundle:` at it (`plan {command}` runs it)",
        )
        for bundle in loaded.bundles.values()
        if not bundle.present
    ]
    if missing:
        fail_config("\n".join(f"error: {p}" for p in missing))
    return loaded


def explain_failure(event: dict, twin_sources: dict, stack: str) -> str:
    """One line per worker that failed to load, at its key path; or the runner's message."""
    failures = event.get("failures") or []
    if not failures:
        detail = " | ".join(event.get("detail") or [])
        message = event.get("message") or event.get("code")
        return f"error: the twin failed to start: {message}" + (f" ({detail})" if detail else "")
    lines = []
    for failure in failures:
        source = twin_sources.get(failure.get("worker"))
        detail = load_error(failure)
        if source is not None and source.key is not None:
            lines.append(
                f"error: {CONFIG_KEY}.{source.key}: bundle '{source.file}' does not load in "
                f"workerd: {detail}; fix the bundle (`python -m plan check {stack} --runtime` "
                "checks every stable bundle)"
            )
        else:
            shown = source.file if source is not None else failure.get("worker")
            lines.append(f"error: {shown} does not load in workerd: {detail}")
    return "\n".join(lines)


def _run(twin: Twin, twin_dir: Path, redact, secret_sources: list[str]) -> None:
    from plan.twin.process import Runner

    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Runner(
            twin.request(), twin_dir=twin_dir, redact=redact, stdout=sys.stdout, stderr=sys.stderr
        ) as runner:
            try:
                ready = runner.wait_for("ready", timeout=READY_TIMEOUT_SECONDS)
            except RunnerFailed as err:
                fail_config(redact(_explain_start(err.event, twin)))
            except TwinError as err:
                fail_config(f"error: {err}")
            _print_listing(twin, ready, secret_sources)
            runner.go_live()
            while runner.exit_code() is None:
                time.sleep(0.2)
            code = runner.exit_code()
        fail_config(f"error: the twin stopped on its own (runner exit code {code}); see above")
    except KeyboardInterrupt:
        typer.echo(f"twin of stack '{twin.stack}' stopped")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupt(signum, frame) -> NoReturn:
    """The first Ctrl-C or SIGTERM stops the twin; more of them do not cut the stopping short."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt


def _explain_start(event: dict, twin: Twin) -> str:
    if event.get("code") == "address-in-use":
        return (
            f"error: {event.get('message', 'a port is in use')} (stop what listens there, or "
            "pass --port 0 for any free ports)"
        )
    return explain_failure(event, twin.sources, twin.stack)


def _print_listing(twin: Twin, ready: dict, secret_sources: list[str]) -> None:
    versions = ready.get("versions", {})
    urls = ready.get("urls", {})
    width = max(len(e.script) for e in twin.endpoints)
    lines = [
        f"twin of stack '{twin.stack}': workerd {versions.get('workerd', '?')} through miniflare "
        f"{versions.get('miniflare', '?')}, on 127.0.0.1 only",
        *(f"  {e.script:<{width}}  {urls.get(e.script, e.url)}  {e.what}" for e in twin.endpoints),
        *(f"  note: {note}" for note in twin.notes),
    ]
    if secret_sources:
        lines.append(f"secrets: local values, never the stack's: {', '.join(secret_sources)}")
    lines.append("Ctrl-C stops the twin.")
    typer.echo("\n".join(lines))


def _check_ports(twin: Twin, first: int) -> None:
    from plan.twin.process import port_in_use

    if first == 0:
        return
    for endpoint in twin.endpoints:
        if endpoint.port > 65535:
            fail_config(
                f"error: --port {first} leaves no room for {len(twin.endpoints)} workers "
                "(ports run past 65535); pass a lower --port, or --port 0"
            )
        if port_in_use(endpoint.port):
            fail_config(
                f"error: port {endpoint.port} on 127.0.0.1 is in use ({endpoint.script} would "
                f"listen there); stop what uses it, or pass --port with another first port "
                "(--port 0: any free ports)"
            )


def _pairs(items: list[str] | None, option: str, check) -> dict:
    pairs = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            fail_config(f"error: {option} {item}: expected NAME=VALUE")
        pairs[name] = check(option, name, value)
    return pairs


def _var(option: str, name: str, value: str) -> str:
    if not JS_IDENTIFIER.match(name):
        fail_config(f"error: {option} {name}: not a JavaScript identifier (workers read env.NAME)")
    return value


def _stub(option: str, name: str, value: str) -> Path:
    path = Path(value)
    if not path.is_file():
        fail_config(f"error: {option} {name}={value}: {value} does not exist")
    return path.resolve()
