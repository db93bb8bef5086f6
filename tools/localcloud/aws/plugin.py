"""Install the local provider as the `aws` 7.51.1 plugin of a throwaway PULUMI_HOME.

The engine finds `resource-aws-v7.51.1` there and runs `tools.localcloud.aws.provider` with the
given interpreter and this project on PYTHONPATH instead of downloading the real one.
"""

from __future__ import annotations

from pathlib import Path

from tools.localcloud import plugins
from tools.localcloud.aws.provider import VERSION


def install(pulumi_bin: Path, pulumi_home: Path, project_dir: Path, python: Path) -> None:
    plugins.install(
        "aws",
        VERSION,
        "tools.localcloud.aws.provider",
        pulumi_bin,
        pulumi_home,
        project_dir,
        python,
    )
