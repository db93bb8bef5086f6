"""WorkersKvNamespace and D1Database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.localcloud.cloudflare import rules
from tools.localcloud.cloudflare.checks import Checker
from tools.localcloud.cloudflare.resources.base import RestResource, Values


class WorkersKvNamespace(RestResource):
    pulumi_type = "cloudflare:index/workersKvNamespace:WorkersKvNamespace"
    inputs = ("accountId", "jurisdiction", "mode", "title")
    computed = ("supportsUrlEncoding",)
    collection = "/storage/kv/namespaces"
    create_inputs = ("title", "jurisdiction")
    update_inputs = ("title",)  # a rename is in place
    refreshed = ("title", "jurisdiction")

    def check(self, checker: Checker, cwd: Path) -> Values:
        checker.required("title")
        title = checker.known("title")
        if isinstance(title, str) and len(title) > 512:
            checker.fail("title", "'title' must be at most 512 characters")
        checker.one_of("jurisdiction", rules.KV_JURISDICTIONS)
        return {}


class D1Database(RestResource):
    pulumi_type = "cloudflare:index/d1Database:D1Database"
    inputs = (
        "accountId",
        "fields",
        "jurisdiction",
        "name",
        "primaryLocationHint",
        "readReplication",
    )
    computed = ("createdAt", "fileSize", "numTables", "uuid", "version")
    collection = "/d1/database"
    id_field = "uuid"
    create_inputs = ("name", "primaryLocationHint", "jurisdiction", "readReplication")
    # Only read_replication updates in place. Like upstream, an omitted value goes as null,
    # which the API refuses (cf-tf #6309): the program always sets it.
    update_inputs = ("readReplication",)
    # read_replication is refreshed even when the program omits it: upstream's drift.
    refreshed = ("name", "primaryLocationHint", "jurisdiction", "readReplication")

    def check(self, checker: Checker, cwd: Path) -> Values:
        checker.required("name")
        checker.pattern("name", rules.D1_NAME, rules.D1_NAME_RULE)
        checker.one_of("primaryLocationHint", rules.D1_LOCATIONS)
        checker.one_of("jurisdiction", rules.D1_JURISDICTIONS)
        replication: Any = checker.known("readReplication")
        if replication is not None:
            mode = replication.get("mode") if isinstance(replication, dict) else None
            if mode is None or str(mode).lower() not in rules.READ_REPLICATION_MODES:
                checker.fail("readReplication", "'readReplication.mode' must be auto or disabled")
        return {}
