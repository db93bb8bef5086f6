"""What the emulated accounts must already hold for a stack: read from its stack file.

A real deploy finds some things in place that the program does not create: the Cloudflare
account, an existing Secrets Store, the Route 53 hosted zone, and the scripts of external
workers (owned by another team). The emulators are seeded with exactly those, from the same
stack file the program reads, so a wrong id fails locally the way it fails in the cloud.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

PLATFORM_KEY = "edge-platform:platform"


@dataclass(frozen=True)
class StackFacts:
    stack: str
    account_id: str
    secrets_store_id: str | None
    hosted_zone_id: str | None
    hosted_zone_domain: str | None
    external_workers: tuple[str, ...]
    secret_config_keys: tuple[str, ...]
    """Stack config keys (without the project prefix) that must be set with --secret."""


def read_facts(project_dir: Path, stack: str) -> StackFacts:
    raw = yaml.safe_load((project_dir / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    platform = raw["config"][PLATFORM_KEY]
    store = platform.get("secretsStore") or {}
    mail = platform.get("mail") or {}
    keys = [s["configKey"] for s in (platform.get("secrets") or {}).values()]
    if mail.get("webhook"):
        keys.append(mail["webhook"]["bearerConfigKey"])
    for worker in (platform.get("workers") or {}).values():
        keys += [b["secretText"] for b in worker.get("bindings") or [] if b.get("secretText")]
    domain = mail.get("sendingDomain")
    return StackFacts(
        stack=stack,
        account_id=platform["accountId"],
        secrets_store_id=store.get("id"),
        hosted_zone_id=mail.get("hostedZoneId"),
        # The zone is the sending domain's parent (mail.example.com lives in example.com).
        hosted_zone_domain=domain.split(".", 1)[1] if domain else None,
        external_workers=tuple(platform.get("externalWorkers") or ()),
        secret_config_keys=tuple(sorted(set(keys))),
    )
