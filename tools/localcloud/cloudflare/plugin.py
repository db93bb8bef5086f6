"""Install the local provider into a throwaway PULUMI_HOME as `cloudflare` 6.23.1.

The real engine then runs it for every `cloudflare:index/...` resource; the provider resolves
relative bundle paths (`contentFile`) against the project directory the engine starts it in.
"""

from __future__ import annotations

from pathlib import Path

from tools.localcloud import plugins
from tools.localcloud.cloudflare.provider import NAME, VERSION

MODULE = "tools.localcloud.cloudflare.provider"


def wrapper_script(project_dir: Path, python: Path) -> str:
    """A shell wrapper that runs the provider module with the given interpreter."""
    return plugins.wrapper_script(MODULE, project_dir, python)


def install(pulumi_bin: Path, pulumi_home: Path, project_dir: Path, python: Path) -> None:
    plugins.install(NAME, VERSION, MODULE, pulumi_bin, pulumi_home, project_dir, python)
