"""`python -m plan _manifests` (hidden): the manifests of several stacks of one tree, as JSON.

`plan diff` runs it on the base tree in a subprocess with this tree's `plan` package, so the
base program's imports are paid once for all stacks. Output:
`{"stacks": {STACK: {"status": "present", "manifest": {...}} | {"status": "missing"} |
{"status": "error", "kind": "config"|"program", "message": "..."}}, "seconds": float}`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from plan.cli import app


@app.command("_manifests", hidden=True)
def manifests(
    stacks: Annotated[list[str], typer.Argument(help="Stacks to evaluate.")],
    project_dir: Annotated[Path, typer.Option(help="Tree whose program and config to run.")],
    bundle_dir: Annotated[
        Path | None, typer.Option(help="Where worker bundles are (default: project dir).")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Write the JSON here, not stdout.")] = None,
) -> None:
    """Evaluate STACKS of PROJECT_DIR under mocks and emit their manifests (or errors) as JSON."""
    from plan.diff.sides import evaluate_side

    started = time.perf_counter()
    results = {
        stack: evaluate_side(project_dir, stack, "base", bundle_dir=bundle_dir).to_json()
        for stack in stacks
    }
    text = json.dumps({"stacks": results, "seconds": time.perf_counter() - started})
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text)
    # Skip the interpreter's teardown of the provider SDKs' huge module graph (over a second):
    # everything is written, and `plan diff` waits for this process.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
