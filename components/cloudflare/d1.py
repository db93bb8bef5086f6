"""A D1 database with its location hint and an explicit read-replication mode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_cloudflare as cloudflare

from components.safety import UNGUARDED, DataSafety


@dataclass(frozen=True)
class D1DatabaseArgs:
    account_id: pulumi.Input[str]
    """Cloudflare account id."""
    database_name: str
    """Database name. Changing it replaces the database with a new, empty one."""
    read_replication: Literal["auto", "disabled"]
    """Always sent: an omitted value drifts on refresh and the next update fails (cf-tf #6309)."""
    location_hint: str | None = None
    """Primary location hint (wnam, enam, weur, eeur, apac, oc). Changing it replaces."""
    safety: DataSafety = UNGUARDED
    """Protect / retain the database."""


class D1Database(pulumi.ComponentResource):
    database_id: pulumi.Output[str]
    database_name: str

    def __init__(self, name: str, args: D1DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("edge:cloudflare:D1Database", name, None, opts)
        self.database_name = args.database_name
        database = cloudflare.D1Database(
            name,
            account_id=args.account_id,
            name=args.database_name,
            primary_location_hint=args.location_hint,
            read_replication={"mode": args.read_replication},
            opts=args.safety.options(self),
        )
        self.database_id = database.id
        self.register_outputs({"database_id": self.database_id})
