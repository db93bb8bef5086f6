"""A stack deployed by the real Pulumi engine onto the local cloud, shared by a module's tests.

Each stack gets its own scratch copy of the project (a git repository), its own local cloud
(emulators, plugins, file backend) and canary values for every secret; `up` runs once. Tests of
this package run on one xdist worker, in file order (`--dist loadgroup`): they share the stack.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pulumi import automation as auto

from tools.localcloud import engine
from tools.localcloud.cloud import LocalCloud
from tools.localcloud.facts import read_facts
from tools.localcloud.project import copy_project, ensure_bundles, git, init_stack

STACKS = ("staging", "prod")


@dataclass
class Deployed:
    stack_name: str
    project: Path
    cloud: LocalCloud
    stack: auto.Stack
    canaries: dict[str, str]
    transcript: list[str] = field(default_factory=list)
    """Everything the engine printed in this module's runs, for the canary check."""

    def log(self, line: str) -> None:
        self.transcript.append(line)

    def cli(self, *args: str, expect_failure: bool = False) -> str:
        """`pulumi <args> --stack <stack>` as a user types it (the Automation API's own export
        and outputs add --show-secrets, its destroy --skip-preview); its output is recorded."""
        done = subprocess.run(
            [str(engine.pulumi_bin()), *args, "--stack", self.stack_name],
            cwd=self.project,
            env={**os.environ, **self.cloud.env()},
            capture_output=True,
            text=True,
            check=False,
        )
        self.transcript += [done.stdout, done.stderr]
        if expect_failure:
            assert done.returncode != 0, f"pulumi {' '.join(args)} succeeded"
            return done.stdout + done.stderr
        assert done.returncode == 0, f"pulumi {' '.join(args)} failed: {done.stderr[-2000:]}"
        return done.stdout

    def exported(self) -> dict:
        """`pulumi stack export`: secrets stay encrypted."""
        return json.loads(self.cli("stack", "export"))["deployment"]

    def run(self, op: str, *args, **kwargs):
        """stack.<op>(...) with its output recorded (also when it fails)."""
        kwargs.setdefault("on_output", self.log)
        try:
            return getattr(self.stack, op)(*args, **kwargs)
        except auto.CommandError as err:
            self.transcript.append(str(err))
            raise


def canary(key: str) -> str:
    return f"canary-{key}-{secrets.token_hex(8)}"


@contextmanager
def deployment(
    root: Path, stack_name: str, prepare: Callable[[Path], None] | None = None
) -> Iterator[Deployed]:
    """A scratch project of `stack_name` on its own local cloud, after its first `up`.

    prepare: changes the project before `up` (and is committed with the stack's secrets)."""
    try:
        engine.engine_root()
    except engine.EngineMissing as err:
        pytest.fail(str(err), pytrace=False)
    project = copy_project(root / "project")
    ensure_bundles(project, stack_name)
    facts = read_facts(project, stack_name)
    with LocalCloud(root / "cloud", [facts]) as cloud:
        canaries = {key: canary(key) for key in facts.secret_config_keys}
        stack = init_stack(cloud, project, stack_name, canaries)
        if prepare is not None:
            prepare(project)
        git(project, "add", "-A")
        git(project, "commit", "-q", "-m", f"stack init {stack_name}: secrets and local endpoints")
        deployed = Deployed(stack_name, project, cloud, stack, canaries)
        deployed.up_result = deployed.run("up")
        yield deployed


@pytest.fixture(scope="module", params=STACKS)
def deployed(request, tmp_path_factory) -> Iterator[Deployed]:
    stack_name = request.param
    with deployment(tmp_path_factory.mktemp(f"engine-{stack_name}"), stack_name) as deployed:
        yield deployed
