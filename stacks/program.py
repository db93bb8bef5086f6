"""Entry point shared by `pulumi up` (__main__.py) and the offline plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi.runtime.config
from pulumi.output import UNKNOWN

from stacks import loader, platform
from stacks.commit import deploying_commit
from stacks.errors import ConfigError, Problem
from stacks.stack_file import StackFileError, describe, read_stack_config, stack_file_path

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONFIG_NAMESPACE = "edge-platform"


def run(
    missing_bundles: loader.MissingBundles | None = None,
    project_dir: Path = PROJECT_DIR,
    missing_secrets: loader.MissingSecrets | None = None,
) -> platform.Platform:
    """Read and validate the stack config, then build and export the platform.

    missing_bundles: "error" fails on a worker bundle that is not built or fetched; "unknown"
    plans it with its pinned hash. missing_secrets: "error" fails on a secret config key that is
    not set; "unknown" plans its value as an unknown secret, with a warning. By default a preview
    plans both so and an update fails.
    project_dir: where bundle paths are relative to.
    """
    config = pulumi.Config(CONFIG_NAMESPACE)
    stack = pulumi.get_stack()
    dry_run = pulumi.runtime.is_dry_run()
    if missing_bundles is None:
        missing_bundles = "unknown" if dry_run else "error"
    if missing_secrets is None:
        missing_secrets = "unknown" if dry_run else "error"

    def config_key(key: str) -> loader.ConfigKey:
        full = f"{CONFIG_NAMESPACE}:{key}"
        present = pulumi.runtime.get_config(full) is not None
        return loader.ConfigKey(present=present, secret=pulumi.runtime.is_config_secret(full))

    loaded = loader.load(
        stack,
        _platform_object(config, stack),
        project_dir=project_dir,
        config_key=config_key,
        missing_bundles=missing_bundles,
        missing_secrets=missing_secrets,
        config_keys=_config_keys(),
        platform_secret=pulumi.runtime.is_config_secret(f"{CONFIG_NAMESPACE}:platform"),
    )
    for bundle in loaded.bundles.values():
        if not bundle.present:
            pulumi.warn(
                f"{bundle.where}: bundle {bundle.content_file} is not fetched or built; "
                f"planned with its pinned hash {loader.short_hash(bundle.sha256)}"
            )
    for key in loaded.unset_secrets:
        pulumi.warn(loaded.unset_secret_note(key))

    def secret_config(key: str) -> pulumi.Output[str]:
        if key in loaded.unset_secrets:
            return cast(pulumi.Output[str], pulumi.Output.secret(UNKNOWN))
        return config.require_secret(key)

    built = platform.build(loaded, secret_config, deploying_commit(project_dir))
    for key, value in built.outputs().items():
        pulumi.export(key, value)
    return built


def _platform_object(config: pulumi.Config, stack: str) -> Any:
    try:
        return config.get_object("platform")
    except pulumi.ConfigTypeError:
        value = config.get("platform")
        raise ConfigError(
            stack,
            [Problem("", f"must be a mapping: the platform object (got {describe(value)})")],
        ) from None


def _config_keys() -> set[str]:
    """Every config key set for this run (fully qualified), to name a misspelt one."""
    return set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.config.get_config_env())


def check_stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> None:
    """Read the stack's file as the offline plan does: StackFileError for a key given twice, a
    file that is not UTF-8 or a `config` that is not a mapping, even where the Pulumi CLI in use
    let it through (older CLIs, reading YAML with yaml.v2, keep the last of two equal keys).

    A stack whose config is not in the project's stack file (kept elsewhere with
    `--config-file`, say) has nothing to check here."""
    path = stack_file_path(project_dir, stack)
    if path.is_file():
        read_stack_config(path)


def main(project_dir: Path = PROJECT_DIR) -> None:
    try:
        check_stack_file(pulumi.get_stack(), project_dir)
        run(project_dir=project_dir)
    except (ConfigError, StackFileError) as err:
        # RunError prints the message without a Python traceback.
        raise pulumi.RunError(str(err)) from None
