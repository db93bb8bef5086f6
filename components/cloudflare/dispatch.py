"""A Workers-for-Platforms dispatch namespace (holds tenant scripts only)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

from components.safety import UNGUARDED, DataSafety


@dataclass(frozen=True)
class DispatchNamespaceArgs:
    account_id: pulumi.Input[str]
    """Cloudflare account id."""
    namespace_name: str
    """Namespace name; dispatch_namespace bindings refer to it. Changing it replaces."""
    safety: DataSafety = UNGUARDED
    """Protect / retain the namespace (deleting it deletes every tenant script in it)."""


class DispatchNamespace(pulumi.ComponentResource):
    namespace_name: str
    namespace_id: pulumi.Output[str]
    namespace_name_output: pulumi.Output[str]

    def __init__(
        self, name: str, args: DispatchNamespaceArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("edge:cloudflare:DispatchNamespace", name, None, opts)
        self.namespace_name = args.namespace_name
        namespace = cloudflare.WorkersForPlatformsDispatchNamespace(
            name,
            account_id=args.account_id,
            name=args.namespace_name,
            opts=args.safety.options(self),
        )
        self.namespace_id = namespace.namespace_id
        # For bindings: an output, so a bound worker waits for the namespace.
        self.namespace_name_output = namespace.name
        self.register_outputs({"namespace_id": self.namespace_id})
