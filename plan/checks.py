"""The guard rails (stacks.guards) over an offline manifest: `plan check` and `plan diff` run them.

The rules read a neutral `ResourceView`; this module makes one per resource of a manifest, and
reads the stack config facts the rules need (`PolicyConfig`) from a stack file. It works with the
guard-rail modules of any tree (`Guards`): `plan diff` runs the rules of the tree it diffs, which
may be another checkout than the one this module comes from.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from plan.engine import computed_placeholders
from plan.manifest import UNKNOWN as MANIFEST_UNKNOWN
from plan.manifest import Manifest
from plan.stackfile import StackFileError, read_stack_config
from stacks.guards import config as guard_config
from stacks.guards import rules as guard_rules
from stacks.guards import view as guard_view

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Guards:
    """The modules of stacks.guards of one tree: rules, view and config."""

    rules: ModuleType
    view: ModuleType
    config: ModuleType

    @classmethod
    def imported(cls) -> Guards:
        """stacks.guards as it is imported now (in `plan diff`: from the diffed tree)."""
        return cls(
            importlib.import_module("stacks.guards.rules"),
            importlib.import_module("stacks.guards.view"),
            importlib.import_module("stacks.guards.config"),
        )


THIS_TREE = Guards(guard_rules, guard_view, guard_config)


def views_from_manifest(manifest: Manifest, guards: Guards = THIS_TREE) -> list[Any]:
    """Every resource of an offline manifest as a view.

    Props are the recorded inputs plus the outputs the mock engine computes for other resources
    to consume (a queue's `queueId` is "<mail-outbox.queue_id>"), as CrossGuard's stack policies
    see a resource's outputs: a consumer's `queueId` then resolves to its queue in both modes.
    """
    unknown = guards.view.UNKNOWN
    views = []
    for r in manifest.resources:
        props = _from_manifest_value(r.inputs, unknown)
        for key, placeholder in computed_placeholders(r.type, r.name).items():
            props.setdefault(_camel(key), placeholder)
        views.append(
            guards.view.ResourceView(
                type=r.type,
                name=r.name,
                urn=r.urn,
                props=props,
                protect=r.protect,
                parent=r.parent,
                stack=manifest.stack,
            )
        )
    return views


def policy_config(config_dir: Path, stack: str, guards: Guards = THIS_TREE) -> Any:
    """External workers and tenant scripts from `Pulumi.<stack>.yaml` in `config_dir` (an
    empty config if there is no such file)."""
    config_class = guards.config.PolicyConfig
    try:
        config = read_stack_config(config_dir, stack)
    except StackFileError:
        return config_class(source=f"no Pulumi.{stack}.yaml in {config_dir}")
    raw = config.values.get(f"{config.project}:{guards.config.PLATFORM_KEY}")
    platform = json.loads(raw) if raw else None
    return config_class.from_platform(platform, source=f"Pulumi.{stack}.yaml")


def check_manifest(
    manifest: Manifest,
    config: Any = None,
    *,
    config_dir: Path = PROJECT_DIR,
    guards: Guards = THIS_TREE,
) -> list[Any]:
    """Every rule over an offline manifest, sorted by resource then rule.

    config: external workers and tenant scripts; by default read from `Pulumi.<stack>.yaml` of
    `config_dir` (this project unless told otherwise).
    """
    if config is None:
        config = policy_config(config_dir, manifest.stack, guards)
    return guards.rules.check_views(views_from_manifest(manifest, guards), config)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p.title() for p in rest)


def _from_manifest_value(value: Any, unknown: Any) -> Any:
    if value == MANIFEST_UNKNOWN:
        return unknown
    if isinstance(value, dict):
        return {k: _from_manifest_value(v, unknown) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_manifest_value(v, unknown) for v in value]
    return value
