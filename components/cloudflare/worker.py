"""A Worker script this program owns: its bundle, runtime settings, bindings, custom domains."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pulumi
import pulumi_cloudflare as cloudflare

from components.cloudflare.bindings import Binding, to_script_binding


@dataclass(frozen=True)
class CustomDomain:
    hostname: str
    """Exact hostname (Cloudflare rejects wildcards in custom domains)."""
    zone_id: str
    """Cloudflare zone the hostname belongs to."""


@dataclass(frozen=True)
class WorkerArgs:
    account_id: pulumi.Input[str]
    """Cloudflare account id."""
    script_name: str
    """Script name; service bindings and wrangler refer to it. Changing it replaces the script."""
    bundle_path: str
    """Path of the built bundle, relative to the project directory the provider runs in (or
    absolute); state keeps its hash, not its content."""
    bundle_sha256: pulumi.Input[str]
    """SHA-256 of the bundle; a change re-uploads the script."""
    compatibility_date: str
    """Workers runtime compatibility date."""
    main_module: str = "index.js"
    """ES module entry point inside the bundle."""
    compatibility_flags: list[str] = field(default_factory=list)
    """Runtime compatibility flags, e.g. nodejs_compat."""
    bindings: list[Binding] = field(default_factory=list)
    """Every binding of the script; this program owns them all."""
    custom_domains: list[CustomDomain] = field(default_factory=list)
    """Hostnames served by this worker."""


class Worker(pulumi.ComponentResource):
    script_name: str
    """Known at construction, so other workers can bind to it by name."""
    script: cloudflare.WorkersScript

    def __init__(self, name: str, args: WorkerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("edge:cloudflare:Worker", name, None, opts)
        duplicates = sorted(n for n, c in Counter(b.name for b in args.bindings).items() if c > 1)
        if duplicates:
            raise ValueError(f"worker '{args.script_name}' has duplicate bindings: {duplicates}")
        if any("*" in d.hostname for d in args.custom_domains):
            raise ValueError(f"worker '{args.script_name}': custom domains cannot have wildcards")
        self.script_name = args.script_name
        self.script = cloudflare.WorkersScript(
            name,
            account_id=args.account_id,
            script_name=args.script_name,
            content_file=args.bundle_path,
            content_sha256=args.bundle_sha256,
            main_module=args.main_module,
            compatibility_date=args.compatibility_date,
            compatibility_flags=sorted(args.compatibility_flags),
            # Sorted so that declaration order never shows up as a diff.
            bindings=[to_script_binding(b) for b in sorted(args.bindings, key=lambda b: b.name)],
            opts=pulumi.ResourceOptions(parent=self),
        )
        for domain in sorted(args.custom_domains, key=lambda d: d.hostname):
            cloudflare.WorkersCustomDomain(
                f"{name}-{domain.hostname}",
                account_id=args.account_id,
                hostname=domain.hostname,
                service=args.script_name,
                zone_id=domain.zone_id,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.script]),
            )
        self.register_outputs({"script_name": args.script_name})

    @property
    def service_name(self) -> pulumi.Output[str]:
        """The script name as an output of the upload, so a binding to it waits for the script."""
        return self.script.script_name
