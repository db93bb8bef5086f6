"""Read a `Pulumi.<stack>.yaml` into config the mock engine can load, with no passphrase.

Secure values cannot be decrypted here and are never needed: each becomes a stand-in that is a
Pulumi secret in the program, derived from the ciphertext so that a re-encrypted value (a
rotated secret) still shows up as "secret changed" in a diff. The file is read strictly
(`stacks.stack_file`): UTF-8, valid YAML, no key given twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from stacks.stack_file import StackFileError, read_yaml, stack_file_path
from stacks.stack_file import read_stack_config as read_config_mapping

__all__ = ["STAND_IN_PREFIX", "StackConfig", "StackFileError", "read_stack_config"]

STAND_IN_PREFIX = "offline-stand-in-"
"""Every secure config value reads as this prefix plus a digest of its ciphertext."""


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    values: dict[str, str]
    """Fully qualified key -> value as the Pulumi runtime stores it (objects as JSON)."""
    secret_keys: list[str]


def project_name(project_dir: Path) -> str:
    name = read_yaml(project_dir / "Pulumi.yaml").get("name")
    if not isinstance(name, str) or not name:
        raise StackFileError("Pulumi.yaml: `name` (the project name) is missing or not a string")
    return name


def available_stacks(project_dir: Path) -> list[str]:
    config_dir = stack_file_path(project_dir, "any").parent
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in config_dir.glob("Pulumi.*.yaml"))


def read_stack_config(project_dir: Path, stack: str) -> StackConfig:
    project = project_name(project_dir)
    path = stack_file_path(project_dir, stack)  # where the CLI reads it (stackConfigDir)
    if not path.is_file():
        known = ", ".join(available_stacks(project_dir)) or "none"
        raise StackFileError(f"no stack '{stack}': {path.name} does not exist (stacks: {known})")
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in read_config_mapping(path).items():
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
