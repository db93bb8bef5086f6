"""What the rules need from the stack config but cannot see in resources.

A service binding may call a worker this stack does not deploy (`externalWorkers`), and must
never call a tenant script of a dispatch namespace (`dispatchNamespaces.<ns>.tenantScripts`,
validated by stacks/ but uploaded by the tenant pipeline, so no resource shows them). Both lists
live in the stack config `edge-platform:platform`; this module reads them there:

- offline (`python -m plan check`, `plan.checks`): from `Pulumi.<stack>.yaml` of the config
  directory, through `PolicyConfig.from_platform`;
- under CrossGuard (policy.crossguard): from the policy config (`--policy-pack-config`, keys
  `externalWorkers` and `tenantScripts`) when given, else from the stack config the CLI hands
  to the pack's process (`overridden_by` merges the two).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stacks.errors import CONFIG_KEY

CONFIG_NAMESPACE, PLATFORM_KEY = CONFIG_KEY.split(":", 1)

EXTERNAL_WORKERS = "externalWorkers"
TENANT_SCRIPTS = "tenantScripts"


@dataclass(frozen=True)
class PolicyConfig:
    external_workers: frozenset[str] = frozenset()
    """Script names bindings may call although no WorkersScript of the stack has them."""
    tenant_scripts: Mapping[str, str] = field(default_factory=dict)
    """Tenant script name -> the dispatch namespace it lives in."""
    source: str = "no configuration"
    """Where the lists came from, for messages (a wrong source is the likely cause of a
    violation about an external worker)."""

    @classmethod
    def from_lists(
        cls,
        external_workers: Iterable[str] = (),
        tenant_scripts: Mapping[str, Iterable[str]] | None = None,
        *,
        source: str,
    ) -> PolicyConfig:
        by_script = {
            str(script): str(ns)
            for ns, scripts in sorted((tenant_scripts or {}).items())
            for script in scripts
        }
        return cls(frozenset(str(w) for w in external_workers), by_script, source)

    @classmethod
    def from_platform(cls, platform: Mapping[str, Any] | None, *, source: str) -> PolicyConfig:
        """From the raw `edge-platform:platform` object (camelCase keys, as in the YAML)."""
        platform = platform or {}
        namespaces = platform.get("dispatchNamespaces") or {}
        return cls.from_lists(
            platform.get(EXTERNAL_WORKERS) or [],
            {ns: list((spec or {}).get(TENANT_SCRIPTS) or {}) for ns, spec in namespaces.items()},
            source=source,
        )

    def overridden_by(self, policy_config: Mapping[str, Any] | None) -> PolicyConfig:
        """This config with the lists a CrossGuard policy config sets replacing ours."""
        policy_config = policy_config or {}
        if EXTERNAL_WORKERS not in policy_config and TENANT_SCRIPTS not in policy_config:
            return self
        tenants: dict[str, list[str]] = {}
        for script, ns in self.tenant_scripts.items():
            tenants.setdefault(ns, []).append(script)
        both = EXTERNAL_WORKERS in policy_config and TENANT_SCRIPTS in policy_config
        return PolicyConfig.from_lists(
            policy_config.get(EXTERNAL_WORKERS, self.external_workers),
            policy_config.get(TENANT_SCRIPTS, tenants),
            source="policy config" if both else f"policy config and {self.source}",
        )
