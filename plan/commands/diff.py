"""`python -m plan diff --base REF [STACK ...]`: review what a change does, offline."""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated

import typer

from plan import cli
from plan.cli import app, fail_config


class Format(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command("diff")
def diff(
    stacks: Annotated[
        list[str] | None,
        typer.Argument(help="Stacks to diff. Default: every Pulumi.*.yaml of the working tree."),
    ] = None,
    base: Annotated[
        str, typer.Option("--base", help="Git ref to compare against: branch, tag or commit.")
    ] = ...,
    output_format: Annotated[
        Format, typer.Option("--format", help="text (colour on a terminal), markdown or json.")
    ] = Format.text,
    allow_destroy: Annotated[
        bool,
        typer.Option(
            "--allow-destroy", help="Exit 0 (not 3) when stateful resources are removed/replaced."
        ),
    ] = False,
) -> None:
    """Diff every resource of each stack from git ref BASE to the working tree.

    The working tree is --config-dir (default: this project), a git checkout;
    both sides run that checkout's own program.
    BASE is checked out in a temporary git worktree (your tree is untouched).
    Both sides run under the mock engine; each resource is added, removed, updated
    (property by property), replaced or moved (via an alias). Secrets read "secret changed".
    Removing or replacing stateful resources is flagged as a DATA-LOSS RISK.
    The policy rules (stacks/guards/rules.py) run on the working tree.

    Exit codes:
      0  nothing to flag
      1  policy violations (and no data-loss risk left unallowed)
      2  config or program error on either side (the message names side and stack),
         bad ref, or no stacks
      3  data-loss risk, without --allow-destroy
    """
    from plan.diff.run import run_diff
    from plan.worktree import GitError

    project_dir = cli.Options.config_dir
    try:
        with _sigterm_as_exit():
            report = run_diff(project_dir, base, stacks or (), allow_destroy=allow_destroy)
    except GitError as err:
        fail_config(str(err))
    if not report.stacks:
        fail_config(f"no stacks to diff: no Pulumi.*.yaml in {project_dir}")
    _write(report, output_format)
    raise typer.Exit(report.exit_code)


def _write(report, output_format: Format) -> None:
    if output_format is Format.json:
        from plan.render.json_render import render_json

        sys.stdout.write(render_json(report))
    elif output_format is Format.markdown:
        from plan.render.markdown import render_markdown

        sys.stdout.write(render_markdown(report))
    else:
        from rich.console import Console

        from plan.render.text import render_text

        Console(highlight=False, soft_wrap=True).print(render_text(report), end="")


@contextmanager
def _sigterm_as_exit():
    """Turn SIGTERM into SystemExit so that the base worktree is removed on the way out."""

    def terminate(signum, _frame):
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread: leave signals alone
        previous = terminate
    try:
        yield
    finally:
        if previous is not terminate:
            signal.signal(signal.SIGTERM, previous)
