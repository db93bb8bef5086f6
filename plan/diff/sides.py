"""Evaluate one side of a diff (the working tree or the base worktree) in this process.

Both sides run in one process so the SDK and provider packages, most of the cost, are imported
once; `plan.engine.evaluate` swaps in the base tree's own program modules for its evaluations.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

from plan.diff.model import Side, SideError
from plan.manifest import Manifest
from plan.stackfile import StackFileError


@dataclass
class SideResult:
    manifest: Manifest | None = None
    missing: bool = False
    """No Pulumi.<stack>.yaml on this side: every resource is added (or removed)."""
    error: SideError | None = None


def evaluate_side(project_dir: Path, stack: str, side: Side) -> SideResult:
    """Evaluate one stack; a missing stack file or an error is a result, not an exception."""
    from plan.engine import evaluate

    if not (project_dir / f"Pulumi.{stack}.yaml").is_file():
        return SideResult(missing=True)
    try:
        return SideResult(manifest=evaluate(project_dir, stack))
    except StackFileError as err:
        return SideResult(error=SideError(side, "config", str(err)))
    except Exception as err:  # noqa: BLE001 - reported with its side and stack, then exit 2
        if type(err).__name__ == "ConfigError" and type(err).__module__ == "stacks.errors":
            return SideResult(error=SideError(side, "config", str(err)))
        message = "".join(traceback.format_exception_only(err)).strip()
        return SideResult(error=SideError(side, "program", f"the program failed: {message}"))
