"""`make up-local STACK=staging`: a real `pulumi up` of a stack against the local cloud.

Starts the emulators (Cloudflare API, Route 53 in moto, Postmark), copies the project to a
throwaway directory (your stack files are never touched), inits the stack on a throwaway file
backend with generated local secret values, runs `pulumi up` with the engine's own output,
prints the summary and the outputs, and stops everything. Nothing reaches a real cloud.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

import typer
from pulumi import automation as auto

from tools.localcloud import engine
from tools.localcloud.cloud import LocalCloud
from tools.localcloud.facts import read_facts
from tools.localcloud.processes import ServiceError
from tools.localcloud.project import copy_project, ensure_bundles, init_stack


def main(
    stack: str = typer.Argument(..., help="The stack to deploy locally: staging or prod."),
    keep: bool = typer.Option(False, help="Keep the throwaway directory (state, logs)."),
) -> None:
    """Deploy STACK for real, onto local emulators, on a throwaway backend."""
    if not (engine.PROJECT_DIR / f"Pulumi.{stack}.yaml").is_file():
        typer.echo(f"error: no stack '{stack}' (Pulumi.{stack}.yaml does not exist)", err=True)
        raise typer.Exit(2)
    try:
        engine.engine_root()
    except engine.EngineMissing as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    workdir = Path(tempfile.mkdtemp(prefix=f"edge-up-local-{stack}-"))
    try:
        raise typer.Exit(_deploy(stack, workdir))
    finally:
        if keep:
            typer.echo(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _deploy(stack: str, workdir: Path) -> int:
    project = copy_project(workdir / "project")
    for bundle in ensure_bundles(project, stack):
        typer.echo(f"note: {bundle} is not built; deploying a stub worker in its place")
    facts = read_facts(project, stack)
    try:
        with LocalCloud(workdir / "cloud", [facts]) as cloud:
            typer.echo(
                f"local cloud: Cloudflare API {cloud.cloudflare.url}, Route 53 {cloud.route53.url},"
                f" Postmark {cloud.postmark.url}"
            )
            local_secrets = {key: secrets.token_urlsafe(24) for key in facts.secret_config_keys}
            opened = init_stack(cloud, project, stack, local_secrets)
            try:
                result = opened.up(on_output=typer.echo, color="never")
            except auto.CommandError:
                typer.echo(f"error: pulumi up of {stack} failed (see above)", err=True)
                return 1
            _print_outputs(opened)
            typer.echo(f"{stack}: {result.summary.result}, {result.summary.resource_changes}")
            return 0
    except ServiceError as err:
        typer.echo(f"error: {err}", err=True)
        return 2


def _print_outputs(opened: auto.Stack) -> None:
    typer.echo("outputs:")
    for key, output in sorted(opened.outputs().items()):
        value = "[secret]" if output.secret else json.dumps(output.value, sort_keys=True)
        typer.echo(f"  {key}: {value}")


if __name__ == "__main__":
    sys.exit(typer.run(main))
