"""`python -m plan check STACK`: the policy pack's rules over the offline plan of a stack."""

from __future__ import annotations

from typing import Annotated

import typer

from plan import cli
from plan.cli import app, evaluate_or_exit
from stacks.guards.view import name_of_urn, type_chain_of_urn

EXIT_VIOLATIONS = 1


@app.command("check")
def check(
    stack: Annotated[str, typer.Argument(help="Stack name: staging or prod.")],
) -> None:
    """Run the CrossGuard pack's rules (stacks/guards/rules.py) on STACK's offline plan.

    External workers and tenant scripts come from Pulumi.STACK.yaml of the config directory.
    Exit 0 if no rule is violated, 1 if one is, 2 on a config error.
    """
    from plan.checks import check_manifest
    from stacks.guards.rules import RULES

    manifest = evaluate_or_exit(stack)
    violations = check_manifest(manifest, config_dir=cli.Options.config_dir)
    resources = sum(1 for r in manifest.resources if r.custom)
    if not violations:
        typer.echo(
            f"stack '{stack}': no policy violations ({len(RULES)} rules, {resources} resources)"
        )
        return
    count = len(violations)
    typer.echo(f"stack '{stack}': {count} policy violation{'s' if count != 1 else ''}")
    for v in violations:
        typer.echo(f"  - [{v.rule}] {_resource(v.urn)}")
        typer.echo(f"      {v.message}")
    raise typer.Exit(EXIT_VIOLATIONS)


def _resource(urn: str) -> str:
    types = type_chain_of_urn(urn)
    return f"{name_of_urn(urn)} ({types[-1]})" if types else urn
