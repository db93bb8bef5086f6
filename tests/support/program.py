"""Run the program as users do: `python -m plan` in a fresh interpreter, or the program's entry
point (`stacks.program.main`) the way `pulumi preview` / `pulumi up` do, under the SDK's mock
engine (config as the CLI hands it over, a recording monitor)."""

from __future__ import annotations

import contextvars
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi

from plan.engine import PlaceholderMocks, RecordingMonitor
from plan.manifest import Resource
from plan.stackfile import StackFileError, read_stack_config
from tests.support.project import REPO


def plan_subprocess(
    *args: str, python_options: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """`python -m plan ARGS` run from the repository in a new interpreter (its exit included)."""
    return subprocess.run(
        [sys.executable, *python_options, "-m", "plan", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class EngineRun:
    recorded: list[Resource]
    error: pulumi.RunError | None


def run_entry_point(root: Path, stack: str, *, preview: bool = False) -> EngineRun:
    """`stacks.program.main` for `stack` of the project at `root` (config and bundles from
    there). A stack file the offline reader refuses is handed over as no config at all: the
    program reads the file itself."""
    return contextvars.Context().run(_run, root, stack, preview)


def _run(root: Path, stack: str, preview: bool) -> EngineRun:
    from stacks import program

    try:
        config = read_stack_config(root, stack)
        pulumi.runtime.set_all_config(config.values, config.secret_keys)
    except StackFileError:
        pulumi.runtime.set_all_config({}, [])
    pulumi.runtime.settings.ROOT.set(None)
    mocks = PlaceholderMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks, project="edge-platform", stack=stack, preview=preview, monitor=monitor
    )

    @pulumi.runtime.test
    def entry_point():
        program.main(project_dir=root)

    try:
        entry_point()
    except pulumi.RunError as err:
        return EngineRun(monitor.recorded, err)
    return EngineRun(monitor.recorded, None)
