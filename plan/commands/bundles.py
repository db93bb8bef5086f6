"""`python -m plan bundles STACK...`: the release assets the stacks pin, for CI to fetch by tag.

One line per distinct release pin, tab-separated: `release asset sha256 file` (file: where the
program reads it, `bundles/<release>/<asset>`). Path pins are committed files and need no fetch.
The stack config is validated first (a bad pin exits 2); a release asset not fetched yet is fine.
"""

from __future__ import annotations

from typing import Annotated

import typer

from plan.cli import Options, app, fail_config
from plan.commands.wrangler import load_platform
from plan.stackfile import StackFileError
from stacks.errors import ConfigError


@app.command("bundles")
def bundles(
    stacks: Annotated[list[str], typer.Argument(help="Stacks whose release pins to list.")],
) -> None:
    """List the release assets STACKS pin (release, asset, sha256, file; tab-separated)."""
    pins: dict[tuple[str, str, str], str] = {}
    for stack in stacks:
        try:
            loaded = load_platform(stack, Options.config_dir)
        except (ConfigError, StackFileError) as err:
            fail_config(str(err))
        for worker in loaded.spec.workers.values():
            pin = worker.bundle
            if pin.release is not None:
                pins[(pin.release, pin.asset, pin.sha256)] = pin.file
    files: dict[str, str] = {}
    for (release, asset, sha256), file in sorted(pins.items()):
        if files.setdefault(file, sha256) != sha256:
            fail_config(f"release {release} asset {asset} is pinned with two different hashes")
        typer.echo(f"{release}\t{asset}\t{sha256}\t{file}")
