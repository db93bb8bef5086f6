"""Evaluate the two sides of a diff so that the program's imports are paid once per side.

The working tree is evaluated in this process; the base tree in ONE subprocess for all stacks
(`python -m plan _manifests`, run with this tree's `plan` package), started first so that both
run in parallel. The subprocess writes JSON to a file: a program that prints cannot corrupt it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plan.diff.model import Side, SideError
from plan.manifest import Manifest
from plan.stackfile import StackFileError

PLAN_ROOT = Path(__file__).resolve().parents[2]
"""The directory holding this `plan` package; the subprocess imports `plan` from here."""


@dataclass
class SideResult:
    manifest: Manifest | None = None
    missing: bool = False
    """No Pulumi.<stack>.yaml on this side: every resource is added (or removed)."""
    error: SideError | None = None

    def to_json(self) -> dict[str, Any]:
        if self.error is not None:
            return {"status": "error", "kind": self.error.kind, "message": self.error.message}
        if self.missing:
            return {"status": "missing"}
        return {"status": "present", "manifest": self.manifest.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any], side: Side) -> SideResult:
        if data["status"] == "error":
            return cls(error=SideError(side, data["kind"], data["message"]))
        if data["status"] == "missing":
            return cls(missing=True)
        return cls(manifest=Manifest.from_json(data["manifest"]))


def evaluate_side(
    project_dir: Path, stack: str, side: Side, *, bundle_dir: Path | None = None
) -> SideResult:
    """Evaluate one stack; a missing stack file or an error is a result, not an exception."""
    from plan.engine import evaluate

    if not (project_dir / f"Pulumi.{stack}.yaml").is_file():
        return SideResult(missing=True)
    try:
        return SideResult(manifest=evaluate(project_dir, stack, bundle_dir=bundle_dir))
    except StackFileError as err:
        return SideResult(error=SideError(side, "config", str(err)))
    except Exception as err:  # noqa: BLE001 - reported with its side and stack, then exit 2
        if type(err).__name__ == "ConfigError" and type(err).__module__ == "stacks.errors":
            return SideResult(error=SideError(side, "config", str(err)))
        message = "".join(traceback.format_exception_only(err)).strip()
        return SideResult(error=SideError(side, "program", f"the program failed: {message}"))


class BaseEvaluation:
    """The base tree's manifests, computed by a subprocess started at construction."""

    def __init__(self, base_dir: Path, stacks: list[str], bundle_dir: Path, work_dir: Path):
        self.stacks = stacks
        self.output = work_dir / "base-manifests.json"
        self.log = work_dir / "base-manifests.log"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PLAN_ROOT), env.get("PYTHONPATH", "")) if p
        )
        command = [
            sys.executable, "-m", "plan", "_manifests",
            "--project-dir", str(base_dir),
            "--bundle-dir", str(bundle_dir),
            "--output", str(self.output),
            "--",
            *stacks,
        ]  # fmt: skip
        self.started = time.perf_counter()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=PLAN_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        self.seconds = 0.0

    def wait(self) -> dict[str, SideResult]:
        code = self.process.wait()
        self.seconds = time.perf_counter() - self.started
        if code != 0 or not self.output.is_file():
            tail = self.log.read_text(errors="replace").strip().splitlines()[-15:]
            message = "evaluating the base tree failed (exit {}):\n{}".format(code, "\n".join(tail))
            error = SideError("base", "program", message)
            return {s: SideResult(error=error) for s in self.stacks}
        data = json.loads(self.output.read_text())
        return {s: SideResult.from_json(data["stacks"][s], "base") for s in self.stacks}

    def stop(self) -> None:
        """Kill the subprocess if it still runs (an error or Ctrl-C on this side)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
