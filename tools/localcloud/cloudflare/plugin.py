"""Install the local provider into a throwaway PULUMI_HOME as `cloudflare` 6.23.1.

The real engine then runs it for every `cloudflare:index/...` resource. The wrapper does not
change directory: the engine starts plugins in the project directory, and the provider resolves
relative bundle paths (`contentFile`) against it, as the real provider does.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from tools.localcloud.cloudflare.provider import NAME, VERSION

WRAPPER_NAME = f"pulumi-resource-{NAME}"


def wrapper_script(project_dir: Path, python: Path) -> str:
    """A shell wrapper that runs the provider module with the given interpreter."""
    root = shlex.quote(str(project_dir))
    return (
        "#!/bin/sh\n"
        "# The local Cloudflare provider (tools/localcloud/cloudflare), for tests only.\n"
        f"PYTHONPATH={root}${{PYTHONPATH:+:$PYTHONPATH}}\n"
        "export PYTHONPATH\n"
        f'exec {shlex.quote(str(python))} -m tools.localcloud.cloudflare.provider "$@"\n'
    )


def install(pulumi_bin: Path, pulumi_home: Path, project_dir: Path, python: Path) -> None:
    """Write the wrapper under `pulumi_home` and `pulumi plugin install` it from that file."""
    wrapper_dir = pulumi_home / "localcloud" / NAME
    wrapper_dir.mkdir(parents=True, exist_ok=True)
    wrapper = wrapper_dir / WRAPPER_NAME
    wrapper.write_text(wrapper_script(project_dir, python), encoding="utf-8")
    wrapper.chmod(0o755)
    env = {
        **os.environ,
        "PULUMI_HOME": str(pulumi_home),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }
    result = subprocess.run(
        [str(pulumi_bin), "plugin", "install", "resource", NAME, VERSION, "--file", str(wrapper)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"pulumi plugin install resource {NAME} {VERSION} failed ({result.returncode}):\n"
            f"{result.stdout}{result.stderr}"
        )
