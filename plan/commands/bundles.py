"""`python -m plan bundles STACK...`: the release assets the stacks pin, for CI to fetch by tag.

One line per distinct release pin, tab-separated: `release asset sha256 file` (file: where the
program reads it, `bundles/<release>/<asset>`). Path pins are committed files and need no fetch.
The stack config is validated first (a bad pin exits 2); a release asset not fetched yet is fine.
"""

from __future__ import annotations

from typing import Annotated

import typer

from plan.cli import app, fail_config
from plan.commands.wrangler import load_platform_or_exit
from stacks.loader import short_hash


@app.command("bundles")
def bundles(
    stacks: Annotated[list[str], typer.Argument(help="Stacks whose release pins to list.")],
) -> None:
    """List the release assets STACKS pin (release, asset, sha256, file; tab-separated)."""
    pins: dict[tuple[str, str, str], list[str]] = {}  # (release, asset, sha256) -> where
    for stack in stacks:
        loaded = load_platform_or_exit(stack)
        for name, worker in loaded.spec.workers.items():
            candidate = worker.candidate.bundle if worker.candidate else None
            for where, pin in (("bundle", worker.bundle), ("candidate.bundle", candidate)):
                if pin is not None and pin.release is not None:
                    key = (pin.release, pin.asset, pin.sha256)
                    pins.setdefault(key, []).append(f"Pulumi.{stack}.yaml workers.{name}.{where}")
    first: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for (release, asset, sha256), places in sorted(pins.items()):
        seen = first.setdefault((release, asset), (sha256, places))
        if seen[0] != sha256:
            fail_config(
                f"error: release {release} asset {asset} is pinned with two hashes: "
                f"{short_hash(seen[0])} at {', '.join(seen[1])}; {short_hash(sha256)} at "
                f"{', '.join(places)}. A release asset has one content: pin the same sha256 "
                "everywhere (`sha256sum` of the fetched asset)"
            )
        typer.echo(f"{release}\t{asset}\t{sha256}\tbundles/{release}/{asset}")
