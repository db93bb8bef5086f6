"""`python -m plan check STACK`: the policy pack's rules over the offline plan of a stack."""

from __future__ import annotations

from typing import Annotated

import typer

from plan import cli
from plan.cli import EXIT_CONFIG_ERROR, app, evaluate_or_exit
from stacks.guards.view import name_of_urn, type_chain_of_urn

EXIT_VIOLATIONS = 1


@app.command("check")
def check(
    stack: Annotated[str, typer.Argument(help="Stack name: staging or prod.")],
    runtime: Annotated[
        bool,
        typer.Option(
            "--runtime",
            help="Also load each worker's bundle in workerd (the twin's miniflare) and check "
            "its handlers and entrypoints against the stack.",
        ),
    ] = False,
) -> None:
    """Run the CrossGuard pack's rules (stacks/guards/rules.py) on STACK's offline plan.

    External workers and tenant scripts come from Pulumi.STACK.yaml of the config directory.
    Exit 0 if no rule is violated, 1 if one is, 2 on a config error or (with --runtime) a
    bundle the runtime would reject.
    """
    from plan.checks import check_manifest
    from stacks.guards.rules import RULES

    # The runtime check's prerequisites first: a missing bundle or Node fails fast.
    loaded = _runtime_prerequisites(stack) if runtime else None
    manifest = evaluate_or_exit(stack)
    runtime_failed = _runtime_check(stack, loaded) if loaded is not None else False
    violations = check_manifest(manifest, config_dir=cli.Options.config_dir)
    resources = sum(1 for r in manifest.resources if r.custom)
    if not violations:
        typer.echo(
            f"stack '{stack}': no policy violations ({len(RULES)} rules, {resources} resources)"
        )
        if runtime_failed:
            raise typer.Exit(EXIT_CONFIG_ERROR)
        return
    count = len(violations)
    typer.echo(f"stack '{stack}': {count} policy violation{'s' if count != 1 else ''}")
    for v in violations:
        typer.echo(f"  - [{v.rule}] {_resource(v.urn)}")
        typer.echo(f"      {v.message}")
    raise typer.Exit(EXIT_CONFIG_ERROR if runtime_failed else EXIT_VIOLATIONS)


def _runtime_prerequisites(stack: str):
    """STACK's platform with every bundle built, and Node with the twin's packages; or exit 2
    (candidates' bundles too, though only stable bundles are loaded in workerd)."""
    from plan.commands.dev import load_built
    from plan.twin.process import TwinError, check_packages, find_node

    loaded = load_built(stack, "check --runtime")
    try:
        find_node()
        check_packages()
    except TwinError as err:
        cli.fail_config(f"error: {err}")
    return loaded


def _runtime_check(stack: str, loaded) -> bool:
    """Print what workerd finds in STACK's bundles; True if it found problems."""
    from plan.twin import runtime_check
    from plan.twin.process import TwinError

    try:
        problems, versions = runtime_check.run(loaded)
    except TwinError as err:
        cli.fail_config(f"error: {err}")
    runtime = f"workerd {versions.get('workerd', '?')}"
    if not problems:
        typer.echo(
            f"stack '{stack}': every stable bundle loads in {runtime} with what the stack binds"
        )
        return False
    count = len(problems)
    typer.echo(f"stack '{stack}': {count} runtime problem{'s' if count != 1 else ''} ({runtime})")
    for problem in sorted(problems):
        typer.echo(f"  - {problem}")
    return True


def _resource(urn: str) -> str:
    types = type_chain_of_urn(urn)
    return f"{name_of_urn(urn)} ({types[-1]})" if types else urn
