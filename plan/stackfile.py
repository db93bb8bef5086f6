"""Read a `Pulumi.<stack>.yaml` into config the mock engine can load, with no passphrase.

Secure values cannot be decrypted here and are never needed: each becomes a stand-in that is a
Pulumi secret in the program, derived from the ciphertext so that a re-encrypted value (a
rotated secret) still shows up as "secret changed" in a diff.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml

STAND_IN_PREFIX = "offline-stand-in-"
"""Every secure config value reads as this prefix plus a digest of its ciphertext."""


class StackFileError(Exception):
    """The stack file is missing or is not valid YAML."""


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    values: dict[str, str]
    """Fully qualified key -> value as the Pulumi runtime stores it (objects as JSON)."""
    secret_keys: list[str]


def project_name(project_dir: Path) -> str:
    data = _read_yaml(project_dir / "Pulumi.yaml")
    return str(data["name"])


def available_stacks(project_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def read_stack_config(project_dir: Path, stack: str) -> StackConfig:
    project = project_name(project_dir)
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = ", ".join(available_stacks(project_dir)) or "none"
        raise StackFileError(f"no stack '{stack}': {path.name} does not exist (stacks: {known})")
    data = _read_yaml(path)
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in (data.get("config") or {}).items():
        full = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[full] = _secret_stand_in(full, str(value["secure"]))
            secret_keys.append(full)
        elif isinstance(value, str):
            values[full] = value
        else:
            values[full] = json.dumps(value)
    return StackConfig(project=project, stack=stack, values=values, secret_keys=secret_keys)


def _secret_stand_in(key: str, ciphertext: str) -> str:
    digest = hashlib.sha256(f"{key}\0{ciphertext}".encode()).hexdigest()[:16]
    return f"{STAND_IN_PREFIX}{digest}"


# libyaml's C loader when PyYAML has it (the PyPI wheels do): stack files of thousands of
# workers parse in milliseconds instead of seconds.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _PulumiYamlLoader(_SafeLoader):
    """Safe YAML with timestamps left as strings, as the Pulumi CLI reads stack files: an
    unquoted `compatibilityDate: 2025-09-01` is the string "2025-09-01", not a date."""


_PulumiYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.load(path.read_text(), Loader=_PulumiYamlLoader)  # noqa: S506 (a SafeLoader)
    except FileNotFoundError:
        raise StackFileError(f"{path} does not exist") from None
    except yaml.YAMLError as err:
        raise StackFileError(f"{path.name} is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise StackFileError(f"{path.name} must be a YAML mapping")
    return data
