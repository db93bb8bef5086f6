"""Secrets Store secrets, in an existing store or one this component creates.

Values come only as Pulumi secrets (config set with `--secret`); they are never plain inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_cloudflare as cloudflare

from components.safety import UNGUARDED, DataSafety


@dataclass(frozen=True)
class StoreSecret:
    key: str
    """Logical name, the same in every environment (keeps URNs stable across stacks)."""
    name: str
    """Secret name in the store; secrets_store_secret bindings refer to it."""
    value: pulumi.Output[str]
    """The value, as a Pulumi secret output."""
    scopes: tuple[str, ...] = ("workers",)
    """Services allowed to read it."""


@dataclass(frozen=True)
class SecretsStoreSecretsArgs:
    account_id: pulumi.Input[str]
    """Cloudflare account id."""
    store_id: str | None = None
    """Use this existing store (Cloudflare allows one store per account)."""
    store_name: str | None = None
    """Or create a store with this name. Exactly one of store_id / store_name."""
    secrets: list[StoreSecret] = field(default_factory=list)
    """The secrets to keep in the store."""
    safety: DataSafety = UNGUARDED
    """Protect / retain the store and its secrets."""


class SecretsStoreSecrets(pulumi.ComponentResource):
    store_id: pulumi.Output[str]
    secret_names: dict[str, pulumi.Output[str]]
    """Secret name -> the same name as an output, so a bound worker waits for the secret."""

    def __init__(
        self, name: str, args: SecretsStoreSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("edge:cloudflare:SecretsStoreSecrets", name, None, opts)
        if (args.store_id is None) == (args.store_name is None):
            raise ValueError("set exactly one of store_id (existing store) or store_name (create)")
        if args.store_name is not None:
            store = cloudflare.SecretsStore(
                name,
                account_id=args.account_id,
                name=args.store_name,
                opts=args.safety.options(self),
            )
            self.store_id = store.id
        else:
            self.store_id = pulumi.Output.from_input(args.store_id)
        self.secret_names = {}
        for secret in sorted(args.secrets, key=lambda s: s.key):
            if not isinstance(secret.value, pulumi.Output):
                raise TypeError(f"secret '{secret.name}' must be a Pulumi secret Output")
            created = cloudflare.SecretsStoreSecret(
                f"{name}-{secret.key.lower().replace('_', '-')}",
                account_id=args.account_id,
                store_id=self.store_id,
                name=secret.name,
                scopes=sorted(secret.scopes),  # the API wants them in alphabetical order
                value=pulumi.Output.secret(secret.value),
                opts=args.safety.options(self),
            )
            self.secret_names[secret.name] = created.name
        self.register_outputs({"store_id": self.store_id})
