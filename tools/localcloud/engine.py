"""Find the Pulumi engine and the environment every local run of it gets.

The engine is the one `make engine` builds into .tools/bin, or a `pulumi` on PATH (a laptop
with Pulumi installed). No run may download anything: update checks and automatic plugin
acquisition are off, and plugins come only from the throwaway PULUMI_HOME a run installs them in.
"""

from __future__ import annotations

import shutil
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
BUILT_ENGINE = PROJECT_DIR / ".tools"

NO_DOWNLOADS = {
    "PULUMI_SKIP_UPDATE_CHECK": "true",
    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    # Plugins on PATH would shadow the ones installed for the run.
    "PULUMI_IGNORE_AMBIENT_PLUGINS": "true",
    "PULUMI_SKIP_CONFIRMATIONS": "true",
}


class EngineMissing(RuntimeError):
    pass


def engine_root() -> Path:
    """The directory whose bin/ holds `pulumi` and `pulumi-language-python`."""
    if (BUILT_ENGINE / "bin" / "pulumi").is_file():
        return BUILT_ENGINE
    on_path = shutil.which("pulumi")
    if on_path and shutil.which("pulumi-language-python"):
        return Path(on_path).resolve().parent.parent
    raise EngineMissing(
        "the Pulumi CLI is not built: run `make engine` (builds it from the Go module proxy "
        "into .tools/bin), or put a Pulumi 3.272+ installation on PATH"
    )


def pulumi_bin() -> Path:
    return engine_root() / "bin" / "pulumi"


def engine_env(pulumi_home: Path, backend_dir: Path, passphrase: str) -> dict[str, str]:
    """Environment of a run on a local file backend with a passphrase secrets provider."""
    bin_dir = str(engine_root() / "bin")
    return {
        **NO_DOWNLOADS,
        "PULUMI_HOME": str(pulumi_home),
        "PULUMI_BACKEND_URL": f"file://{backend_dir}",
        "PULUMI_CONFIG_PASSPHRASE": passphrase,
        # The language host and pulumi-resource-pulumi-python sit beside the CLI.
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
    }
