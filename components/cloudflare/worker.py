"""A Worker this program owns: the Worker, its immutable versions, and the deployment that
splits traffic between them (Cloudflare's Worker / WorkerVersion / WorkersDeployment).

A version is never updated in place (Cloudflare versions are immutable), so each version is a
resource named by its key, which the caller derives from what it declares: a new key is a new
version resource; the same key keeps the resource, which the engine still replaces when an input
the key leaves out changes (a resolved binding id, a rotated secret). Promoting a candidate at
100% (giving the stable version the candidate's key) therefore changes nothing in Cloudflare,
and dropping a candidate only replaces the deployment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pulumi
import pulumi_cloudflare as cloudflare

from components.cloudflare.bindings import Binding, to_wire_binding

WORKERS_SCRIPT_TYPE = "cloudflare:index/workersScript:WorkersScript"
"""What a Worker was before versions: the alias lets a stack deployed with a WorkersScript adopt
the same script as a Worker (Cloudflare's Worker and script are one object) without deleting it."""
MODULE_CONTENT_TYPE = "application/javascript+module"
MAX_TAG_LENGTH = 25
MAX_MESSAGE_LENGTH = 100
"""Cloudflare's limits for the `workers/tag` and `workers/message` annotations."""


@dataclass(frozen=True)
class CustomDomain:
    hostname: str
    """Exact hostname (Cloudflare rejects wildcards in custom domains)."""
    zone_id: str
    """Cloudflare zone the hostname belongs to."""


@dataclass(frozen=True)
class Annotations:
    """What Cloudflare's dashboard and `wrangler deployments list` show for a version."""

    tag: str
    """`workers/tag`, e.g. the short SHA of the deploying commit."""
    message: str
    """`workers/message`, e.g. the commit's subject."""

    def version(self) -> dict[str, str]:
        return {"workers_tag": self.tag[:MAX_TAG_LENGTH], "workers_message": self.short_message}

    def deployment(self) -> dict[str, str]:
        return {"workers_message": self.short_message}

    @property
    def short_message(self) -> str:
        if len(self.message) <= MAX_MESSAGE_LENGTH:
            return self.message
        return self.message[: MAX_MESSAGE_LENGTH - 1] + "…"


@dataclass(frozen=True)
class VersionArgs:
    key: str
    """The version's identity: derived from everything that makes it (bundle hash, bindings,
    settings), so that equal inputs give the same key. It names the version resource."""
    bundle_path: str
    """Path of the built bundle, relative to the project directory the provider runs in (or
    absolute); state keeps the provider's hash of it, not its content."""
    bundle_sha256: str
    """SHA-256 of the bundle, as pinned (the provider hashes the file itself)."""
    percentage: float
    """Share of the traffic; 0 uploads the version without deploying it."""
    bindings: list[Binding] = field(default_factory=list)
    """Every binding of the version; this program owns them all."""
    role: str = "stable"
    """What the version is to the reader (stable, candidate): in outputs only."""


@dataclass(frozen=True)
class WorkerArgs:
    account_id: pulumi.Input[str]
    """Cloudflare account id."""
    script_name: str
    """Script name; service bindings and wrangler refer to it."""
    compatibility_date: str
    """Workers runtime compatibility date."""
    versions: list[VersionArgs]
    """One or two versions whose percentages add up to 100 (Cloudflare splits traffic across
    at most two)."""
    main_module: str = "index.js"
    """ES module entry point inside the bundle."""
    compatibility_flags: list[str] = field(default_factory=list)
    """Runtime compatibility flags, e.g. nodejs_compat."""
    custom_domains: list[CustomDomain] = field(default_factory=list)
    """Hostnames served by this worker."""
    annotations: Annotations | None = None
    """Set when a version or deployment is created, never changed after: each keeps the commit
    that made it (a new commit alone creates nothing)."""


class Worker(pulumi.ComponentResource):
    script_name: str
    """Known at construction, so other workers can bind to it by name."""
    worker: cloudflare.Worker
    versions: dict[str, cloudflare.WorkerVersion]
    """By version key."""
    deployment: cloudflare.WorkersDeployment

    def __init__(self, name: str, args: WorkerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("edge:cloudflare:Worker", name, None, opts)
        _validate(args)
        self._args = args
        self.script_name = args.script_name
        self.worker = cloudflare.Worker(
            name,
            account_id=args.account_id,
            name=args.script_name,
            opts=pulumi.ResourceOptions(
                parent=self, aliases=[pulumi.Alias(type_=WORKERS_SCRIPT_TYPE)]
            ),
        )
        annotations = args.annotations
        self.versions = {}
        for version in args.versions:
            self.versions[version.key] = cloudflare.WorkerVersion(
                f"{name}-version-{version.key}",
                account_id=args.account_id,
                worker_id=self.worker.id,
                main_module=args.main_module,
                compatibility_date=args.compatibility_date,
                compatibility_flags=sorted(args.compatibility_flags),
                modules=[
                    {
                        "name": args.main_module,
                        "content_type": MODULE_CONTENT_TYPE,
                        "content_file": version.bundle_path,
                    }
                ],
                # Sorted so that declaration order never shows up as a diff.
                bindings=[
                    to_wire_binding(b) for b in sorted(version.bindings, key=lambda b: b.name)
                ],
                annotations=annotations.version() if annotations else None,
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["annotations"]),
            )
        deployed = [v for v in args.versions if v.percentage > 0]
        # Named apart from the Worker: the offline plan names ids after resources (`<auth.id>`).
        self.deployment = cloudflare.WorkersDeployment(
            f"{name}-deployment",
            account_id=args.account_id,
            script_name=self.worker.name,
            strategy="percentage",
            versions=[
                {"version_id": self.versions[v.key].id, "percentage": v.percentage}
                for v in deployed
            ],
            annotations=annotations.deployment() if annotations else None,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["annotations"]),
        )
        for domain in sorted(args.custom_domains, key=lambda d: d.hostname):
            cloudflare.WorkersCustomDomain(
                f"{name}-{domain.hostname}",
                account_id=args.account_id,
                hostname=domain.hostname,
                service=args.script_name,
                zone_id=domain.zone_id,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.deployment]),
            )
        self.register_outputs({"script_name": args.script_name, "versions": self.version_outputs()})

    def version_outputs(self) -> list[dict[str, object]]:
        """Each version: its role, key, id, bundle hash and share of the traffic."""
        return [
            {
                "role": v.role,
                "key": v.key,
                "id": self.versions[v.key].id,
                "sha256": v.bundle_sha256,
                "percentage": v.percentage,
            }
            for v in self._args.versions
        ]

    @property
    def service_name(self) -> pulumi.Output[str]:
        """The script name as an output of the deployment, so a binding to this worker (or a
        queue consumer on it) waits until it serves traffic."""
        return self.deployment.script_name


def _validate(args: WorkerArgs) -> None:
    where = f"worker '{args.script_name}'"
    if not 1 <= len(args.versions) <= 2:
        raise ValueError(f"{where} needs one or two versions, not {len(args.versions)}")
    keys = [v.key for v in args.versions]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{where}: its versions are the same version ({keys[0]})")
    for version in args.versions:
        duplicates = sorted(
            n for n, c in Counter(b.name for b in version.bindings).items() if c > 1
        )
        if duplicates:
            raise ValueError(f"{where} has duplicate bindings: {duplicates}")
        if not 0 <= version.percentage <= 100:
            raise ValueError(f"{where}: percentage {version.percentage} is not within 0..100")
    total = sum(v.percentage for v in args.versions)
    if abs(total - 100) > 1e-9:
        raise ValueError(f"{where}: version percentages add up to {total:g}, not 100")
    if any("*" in d.hostname for d in args.custom_domains):
        raise ValueError(f"{where}: custom domains cannot have wildcards")
