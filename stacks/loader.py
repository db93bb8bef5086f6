"""Turn raw stack config into a validated platform, or one error listing every problem.

Nothing here touches Pulumi resources: the same function serves `pulumi up` (through
`stacks.program`) and the offline plan, so both reject exactly the same configs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from stacks import topology
from stacks.errors import ConfigError, Problem
from stacks.schema import PlatformSpec

MissingBundles = Literal["error", "unknown"]


@dataclass(frozen=True)
class Bundle:
    path: Path
    """Absolute path, for reading and hashing here."""
    content_file: str
    """The path handed to the provider: relative to the project directory (the provider runs
    there), so that state does not change with the checkout's location (a laptop vs a CI
    runner); absolute only for a bundle outside the project."""
    sha256: str | None
    """None when the bundle is not built and the caller accepts an unknown hash (plan only)."""


@dataclass(frozen=True)
class LoadedPlatform:
    stack: str
    spec: PlatformSpec
    bundles: dict[str, Bundle]


@dataclass(frozen=True)
class ConfigKey:
    """What the program knows of a stack config key that should hold a secret."""

    present: bool
    secret: bool


def load(
    stack: str,
    raw: Any,
    *,
    project_dir: Path,
    config_key: Callable[[str], ConfigKey],
    missing_bundles: MissingBundles = "error",
) -> LoadedPlatform:
    """Validate `raw` (the `platform` config object) completely or raise ConfigError."""
    if raw is None:
        raise ConfigError(
            stack, [Problem("", "missing; declare the platform in Pulumi.<stack>.yaml")]
        )
    try:
        spec = PlatformSpec.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(stack, [_from_pydantic(e) for e in err.errors()]) from None

    problems = topology.check(spec)
    if spec.environment != stack:
        problems.append(
            Problem(
                "environment",
                f"is '{spec.environment}' but the stack is '{stack}'; they must match",
            )
        )
    problems += _secret_config_keys(spec, config_key)
    bundles, bundle_problems = _bundles(spec, project_dir, missing_bundles)
    problems += bundle_problems
    if problems:
        raise ConfigError(stack, problems)
    return LoadedPlatform(stack=stack, spec=spec, bundles=bundles)


def _from_pydantic(error: dict[str, Any]) -> Problem:
    path, is_key = "", False
    for part in error["loc"]:
        if part == "[key]":  # pydantic's marker: the mapping key itself is invalid
            is_key = True
        elif isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key; remove it or check its spelling (keys are camelCase)"
    elif error["type"] == "missing":
        message = "required key is missing"
    elif error["type"].endswith("_parsing") or error["type"] in ("string_type", "int_type"):
        message = f"{message} (got {error.get('input')!r})"
    message = message.removeprefix("Value error, ")
    if is_key:
        message = f"invalid name: {message}; rename the key"
    return Problem(path, message)


def _secret_config_keys(
    spec: PlatformSpec, config_key: Callable[[str], ConfigKey]
) -> list[Problem]:
    wanted: list[tuple[str, str]] = [
        (f"secrets.{name}.configKey", s.config_key) for name, s in spec.secrets.items()
    ]
    for worker, w in spec.workers.items():
        for i, b in enumerate(w.bindings):
            if b.secret_text is not None:
                wanted.append((f"workers.{worker}.bindings[{i}].secretText", b.secret_text))
    if spec.mail and spec.mail.webhook:
        wanted.append(("mail.webhook.bearerConfigKey", spec.mail.webhook.bearer_config_key))

    problems = []
    for path, key in wanted:
        found = config_key(key)
        if not found.present:
            problems.append(
                Problem(
                    path, f"config key '{key}' is not set; run `pulumi config set --secret {key}`"
                )
            )
        elif not found.secret:
            problems.append(
                Problem(
                    path,
                    f"config key '{key}' is stored in plain text; set it again with "
                    f"`pulumi config set --secret {key}`",
                )
            )
    return problems


def _bundles(
    spec: PlatformSpec, project_dir: Path, missing: MissingBundles
) -> tuple[dict[str, Bundle], list[Problem]]:
    bundles, problems = {}, []
    for worker, w in spec.workers.items():
        path = (project_dir / w.bundle).resolve()
        root = project_dir.resolve()
        content_file = str(path.relative_to(root) if path.is_relative_to(root) else path)
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            bundles[worker] = Bundle(path, content_file, digest)
        elif missing == "unknown":
            bundles[worker] = Bundle(path, content_file, None)
        else:
            problems.append(
                Problem(
                    f"workers.{worker}.bundle",
                    f"bundle '{w.bundle}' does not exist; build the worker and place its bundle "
                    "there before `pulumi up`",
                )
            )
    return bundles, problems
