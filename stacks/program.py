"""Entry point shared by `pulumi up` (__main__.py) and the offline plan."""

from __future__ import annotations

from pathlib import Path

import pulumi

from stacks import loader, platform
from stacks.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONFIG_NAMESPACE = "edge-platform"


def run(
    missing_bundles: loader.MissingBundles | None = None, project_dir: Path = PROJECT_DIR
) -> platform.Platform:
    """Read and validate the stack config, then build and export the platform.

    missing_bundles: "error" fails on a worker bundle that is not built; "unknown" plans it with
    an unknown hash. By default a preview plans it as unknown and an update fails.
    project_dir: where bundle paths are relative to.
    """
    config = pulumi.Config(CONFIG_NAMESPACE)
    stack = pulumi.get_stack()
    if missing_bundles is None:
        missing_bundles = "unknown" if pulumi.runtime.is_dry_run() else "error"

    def config_key(key: str) -> loader.ConfigKey:
        full = f"{CONFIG_NAMESPACE}:{key}"
        present = pulumi.runtime.get_config(full) is not None
        return loader.ConfigKey(present=present, secret=pulumi.runtime.is_config_secret(full))

    loaded = loader.load(
        stack,
        config.get_object("platform"),
        project_dir=project_dir,
        config_key=config_key,
        missing_bundles=missing_bundles,
    )
    for worker, bundle in loaded.bundles.items():
        if bundle.sha256 is None:
            pulumi.warn(
                f"worker '{worker}': bundle {bundle.content_file} is not built; hash unknown"
            )
    built = platform.build(loaded, config.require_secret)
    for key, value in built.outputs().items():
        pulumi.export(key, value)
    return built


def main() -> None:
    try:
        run()
    except ConfigError as err:
        # RunError prints the message without a Python traceback.
        raise pulumi.RunError(err.render()) from None
