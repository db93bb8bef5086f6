"""`python -m plan verify STACK --base-url WORKER=URL ... [--outputs FILE]`: smoke checks.

The checks are each worker's `smoke:` list in Pulumi.STACK.yaml; where a worker is reached is
given on the command line (the stack's outputs carry script names, not URLs). With the stack's
outputs (`pulumi stack output --json`), a worker whose deployment splits traffic between a
stable and a candidate version is checked once per version, each request pinned to it with
Cloudflare's version-override header, so a failing candidate fails the run whatever its share.
Exit 0 when every check passes, 1 when one fails, 2 on a config or usage error.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from plan.cli import app, fail_config

EXIT_FAILED = 1


@app.command("verify")
def verify(
    stack: Annotated[str, typer.Argument(help="Stack name: staging or prod.")],
    base_url: Annotated[
        list[str] | None,
        typer.Option(
            "--base-url",
            metavar="WORKER=URL",
            help="Where a worker answers, e.g. auth=https://auth.example.com (repeatable).",
        ),
    ] = None,
    outputs: Annotated[
        Path | None,
        typer.Option(
            "--outputs",
            help="The stack's outputs (`pulumi stack output --json`): check each version of a "
            "split deployment on its own.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a stable JSON report.")] = False,
) -> None:
    """Run each worker's smoke checks (`smoke:` in Pulumi.STACK.yaml) against its base URL.

    Exit 0 if every check passes, 1 if one fails, 2 on a config or usage error.
    """
    from plan.commands.wrangler import load_platform_or_exit
    from plan.smoke import run_all

    loaded = load_platform_or_exit(stack)
    workers = loaded.spec.workers
    urls = _base_urls(base_url or [], list(workers))
    with_checks = [name for name, w in workers.items() if w.smoke]
    if not with_checks:
        fail_config(
            f"error: stack '{stack}' declares no smoke checks; add `smoke:` to a worker in "
            f"Pulumi.{stack}.yaml (e.g. `smoke: [{{path: /health}}]`)"
        )
    unreached = [name for name in with_checks if name not in urls]
    if unreached:
        fail_config(
            "error: no base URL for "
            + ", ".join(f"'{name}'" for name in unreached)
            + " (it has smoke checks); give "
            + " ".join(f"--base-url {name}=URL" for name in unreached)
        )
    for name in sorted(set(urls) - set(with_checks)):
        typer.echo(f"note: worker '{name}' has no smoke checks; nothing to verify there", err=True)
    stack_outputs = _read_outputs(outputs) if outputs is not None else None
    outcomes = run_all(
        [
            (target, check)
            for name in with_checks
            for target in _targets(name, urls[name], stack_outputs)
            for check in workers[name].smoke
        ]
    )
    failed = [o for o in outcomes if not o.passed]
    if as_json:
        report = {
            "stack": stack,
            "passed": not failed,
            "checks": [o.to_json() for o in outcomes],
        }
        json.dump(report, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        _print_table(stack, outcomes)
        for outcome in failed:
            typer.echo(f"FAILED {outcome.message()}")
        passed = len(outcomes) - len(failed)
        typer.echo(f"stack '{stack}': {passed} of {len(outcomes)} smoke checks passed")
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _read_outputs(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except OSError as err:
        fail_config(f"error: --outputs {path}: cannot be read ({err.strerror})")
    except json.JSONDecodeError as err:
        fail_config(f"error: --outputs {path}: not JSON ({err.msg}, line {err.lineno})")
    if not isinstance(data, dict) or not isinstance(data.get("workers"), dict):
        fail_config(
            f"error: --outputs {path}: no `workers` output; give this stack's "
            "`pulumi stack output --json`"
        )
    return data


def _targets(name: str, url: str, outputs: dict | None) -> list:
    """The deployment as a whole, or each version it splits traffic between."""
    from plan.smoke import Target

    if outputs is None:
        return [Target(name, url)]
    worker = outputs["workers"].get(name)
    if not isinstance(worker, dict):
        fail_config(f"error: --outputs: no worker '{name}' in the stack's `workers` output")
    live = [v for v in worker.get("versions") or [] if isinstance(v, dict) and v.get("percentage")]
    if len(live) < 2:
        return [Target(name, url)]
    missing = [f"workers.{name}.scriptName"] if not worker.get("scriptName") else []
    missing += [
        f"workers.{name}.versions[{i}].{key}"
        for i, v in enumerate(live)
        for key in ("role", "id")
        if not v.get(key)
    ]
    if missing:
        fail_config(
            f"error: --outputs: {', '.join(missing)} missing; give this stack's "
            "`pulumi stack output --json` after the `pulumi up` that deployed the split"
        )
    return [Target(name, url, v["role"], worker["scriptName"], v["id"]) for v in live]


def _base_urls(given: list[str], workers: list[str]) -> dict[str, str]:
    """WORKER=URL options as {worker: url}; a usage error exits 2."""
    import httpx

    urls: dict[str, str] = {}
    for option in given:
        name, sep, url = option.partition("=")
        name, url = name.strip(), url.strip()
        if not sep or not name or not url:
            fail_config(f"error: --base-url '{option}' is not WORKER=URL (e.g. auth=https://...)")
        if name not in workers:
            close = difflib.get_close_matches(name, workers, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "workers: " + ", ".join(workers)
            fail_config(f"error: --base-url names unknown worker '{name}'; {hint}")
        if name in urls:
            fail_config(f"error: --base-url gives worker '{name}' twice")
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            fail_config(f"error: --base-url {name}=...: not an http:// or https:// URL")
        if parsed.userinfo:
            fail_config(f"error: --base-url {name}=...: credentials in the URL are refused")
        if parsed.query or parsed.fragment:
            fail_config(f"error: --base-url {name}=...: give a base URL, without query or '#'")
        urls[name] = url
    return urls


def _print_table(stack: str, outcomes) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"smoke checks of stack '{stack}'", title_justify="left")
    for column in ("worker", "version", "check", "expected", "got", "result"):
        table.add_column(column, overflow="fold")
    for o in outcomes:
        result = Text("pass", style="green") if o.passed else Text("FAIL", style="bold red")
        cells = (o.worker, o.target, f"GET {o.check.path}", o.expected, o.got)  # never markup
        table.add_row(*(Text(cell) for cell in cells), result)
    Console(file=sys.stdout, width=max(100, Console().width), highlight=False).print(table)
