"""Install the local provider as the `aws` 7.51.1 plugin of a throwaway PULUMI_HOME.

The engine finds `resource-aws-v7.51.1` there and runs it instead of downloading the real one;
the wrapper runs `tools.localcloud.aws.provider` with the given interpreter and this project on
PYTHONPATH. Nothing is written outside `pulumi_home`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from tools.localcloud.aws.provider import VERSION

WRAPPER_NAME = "pulumi-resource-aws"


def write_wrapper(pulumi_home: Path, project_dir: Path, python: Path) -> Path:
    wrapper = pulumi_home / "localcloud" / "aws" / WRAPPER_NAME
    wrapper.parent.mkdir(parents=True, exist_ok=True)
    wrapper.write_text(
        "#!/bin/sh\n"
        f"PYTHONPATH={shlex.quote(str(project_dir))} "
        f'exec {shlex.quote(str(python))} -m tools.localcloud.aws.provider "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper


def install(pulumi_bin: Path, pulumi_home: Path, project_dir: Path, python: Path) -> None:
    wrapper = write_wrapper(pulumi_home, project_dir, python)
    env = {
        **os.environ,
        "PULUMI_HOME": str(pulumi_home),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }
    done = subprocess.run(
        [str(pulumi_bin), "plugin", "install", "resource", "aws", VERSION, "--file", str(wrapper)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pulumi plugin install resource aws {VERSION} failed:\n{done.stderr}")
