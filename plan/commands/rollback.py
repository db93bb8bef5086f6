"""`python -m plan rollback-candidates STACK [--worker W]`: drop candidates from the stack file.

What the deploy workflow runs when a smoke check fails after a rollout: the stack file loses
each candidate (comments and ciphertext untouched), so the next `pulumi up` replaces only the
deployment, back to 100% of the stable version that is already uploaded. It edits the working
tree only; main still holds the candidate until the pull request is reverted.
"""

from __future__ import annotations

from typing import Annotated

import typer

from plan.cli import Options, app, fail_config
from plan.rollout import RolloutError, drop_candidates
from stacks.stack_file import stack_file_path


@app.command("rollback-candidates")
def rollback_candidates(
    stack: Annotated[str, typer.Argument(help="Stack name: staging or prod.")],
    worker: Annotated[
        list[str] | None,
        typer.Option("--worker", help="Only this worker's candidate (repeatable)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be dropped; write nothing.")
    ] = False,
) -> None:
    """Remove the `candidate:` of every worker (or of --worker) from Pulumi.STACK.yaml."""
    path = stack_file_path(Options.config_dir, stack)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        fail_config(f"error: {path}: cannot be read ({err.strerror})")
    try:
        edited, dropped = drop_candidates(text, worker or ())
    except RolloutError as err:
        fail_config(f"error: {path.name}: {err}; remove the candidate by hand")
    if not dropped:
        typer.echo(f"{path.name}: no candidate to drop")
        return
    if not dry_run:
        path.write_text(edited, encoding="utf-8")
    verb = "would drop" if dry_run else "dropped"
    for d in dropped:
        typer.echo(
            f"{path.name}: {verb} the candidate of '{d.worker}' ({d.percentage:g}% of its "
            "traffic); the next `pulumi up` deploys 100% of its stable version"
        )
