"""Install a local provider as a resource plugin of a throwaway PULUMI_HOME.

The engine finds `resource-<name>-v<version>` there and runs it instead of downloading the real
one. The wrapper does not change directory: the engine starts plugins in the project directory,
and the providers resolve relative paths against it, as the real ones do. Nothing is written
outside `pulumi_home`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from tools.localcloud.engine import NO_DOWNLOADS


def wrapper_script(module: str, project_dir: Path, python: Path) -> str:
    """A shell wrapper that runs `python -m module` with the project on PYTHONPATH."""
    root = shlex.quote(str(project_dir))
    return (
        "#!/bin/sh\n"
        f"# A local provider ({module}), for tests only.\n"
        f"PYTHONPATH={root}${{PYTHONPATH:+:$PYTHONPATH}}\n"
        "export PYTHONPATH\n"
        f'exec {shlex.quote(str(python))} -m {module} "$@"\n'
    )


def install(
    name: str,
    version: str,
    module: str,
    pulumi_bin: Path,
    pulumi_home: Path,
    project_dir: Path,
    python: Path,
) -> None:
    """Write the wrapper under `pulumi_home` and `pulumi plugin install` it from that file."""
    wrapper_dir = pulumi_home / "localcloud" / name
    wrapper_dir.mkdir(parents=True, exist_ok=True)
    wrapper = wrapper_dir / f"pulumi-resource-{name}"
    wrapper.write_text(wrapper_script(module, project_dir, python), encoding="utf-8")
    wrapper.chmod(0o755)
    result = subprocess.run(
        [str(pulumi_bin), "plugin", "install", "resource", name, version, "--file", str(wrapper)],
        env={**os.environ, **NO_DOWNLOADS, "PULUMI_HOME": str(pulumi_home)},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"pulumi plugin install resource {name} {version} failed ({result.returncode}):\n"
            f"{result.stdout}{result.stderr}"
        )
