"""`python -m plan`: the offline plan of a stack, and the reviews built on it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from plan.stackfile import StackFileError

EXIT_CONFIG_ERROR = 2
PROJECT_DIR = Path(__file__).resolve().parent.parent

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals could hold secret values
    help="Offline plan, diff and checks of the platform's stacks (no credentials, no Pulumi CLI).",
)


def fail_config(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(EXIT_CONFIG_ERROR)


class Options:
    """Global options, set by the callback before any command runs."""

    config_dir: Path = PROJECT_DIR


def evaluate_or_exit(stack: str):
    """Evaluate a stack of the config directory; config errors print every problem and exit 2."""
    from plan.engine import evaluate
    from stacks.errors import ConfigError

    try:
        return evaluate(PROJECT_DIR, stack, config_dir=Options.config_dir)
    except (ConfigError, StackFileError) as err:
        fail_config(str(err))


@app.command()
def show(
    stack: Annotated[str, typer.Argument(help="Stack name: staging or prod.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the stable JSON manifest.")
    ] = False,
) -> None:
    """Print every resource STACK declares, with properties and options; secrets as \\[secret]."""
    from plan.render.show import render_show

    manifest = evaluate_or_exit(stack)
    if as_json:
        json.dump(manifest.to_json(), sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_show(manifest))


@app.callback()
def main(
    config_dir: Annotated[
        Path,
        typer.Option(
            "--config-dir",
            help="Directory with Pulumi.yaml, the stack files and bundles (default: this project).",
            exists=True,
            file_okay=False,
        ),
    ] = PROJECT_DIR,
) -> None:
    """Offline plan, diff and checks of the platform's stacks (no credentials, no Pulumi CLI)."""
    Options.config_dir = config_dir.resolve()


def _register_commands() -> None:
    import importlib
    import pkgutil

    import plan.commands

    for module in pkgutil.iter_modules(plan.commands.__path__):
        importlib.import_module(f"plan.commands.{module.name}")


_register_commands()
