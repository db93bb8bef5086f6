"""A Workers KV namespace."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

from components.safety import UNGUARDED, DataSafety


@dataclass(frozen=True)
class KvNamespaceArgs:
    account_id: pulumi.Input[str]
    """Cloudflare account id."""
    title: str
    """Namespace title, unique in the account. Renaming updates in place."""
    safety: DataSafety = UNGUARDED
    """Protect / retain the namespace (its keys are data)."""


class KvNamespace(pulumi.ComponentResource):
    namespace_id: pulumi.Output[str]
    title: str

    def __init__(
        self, name: str, args: KvNamespaceArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("edge:cloudflare:KvNamespace", name, None, opts)
        self.title = args.title
        namespace = cloudflare.WorkersKvNamespace(
            name, account_id=args.account_id, title=args.title, opts=args.safety.options(self)
        )
        self.namespace_id = namespace.id
        self.register_outputs({"namespace_id": self.namespace_id})
