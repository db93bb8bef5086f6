"""Input checks for what Cloudflare would refuse, reported before anything is sent.

Reasons name the property and the rule, never a value: a value can be a secret.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from tools.localcloud.cloudflare import rules
from tools.localcloud.cloudflare.props import camel, is_unknown

API_TOKEN = re.compile(r"^[0-9A-Za-z\-_]{40,80}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Failure:
    property: str
    reason: str


class Checker:
    """Collects failures for one resource's inputs; unknown values (preview) are skipped."""

    def __init__(self, inputs: dict[str, Any]) -> None:
        self.inputs = inputs
        self.failures: list[Failure] = []

    def fail(self, prop: str, reason: str) -> None:
        self.failures.append(Failure(prop, reason))

    def known(self, prop: str) -> Any:
        value = self.inputs.get(prop)
        return None if is_unknown(value) else value

    def required(self, *props: str) -> None:
        for prop in props:
            if self.inputs.get(prop) in (None, "", []):
                self.fail(prop, f"'{prop}' is required")

    def pattern(self, prop: str, regex: re.Pattern[str], rule: str) -> None:
        value = self.known(prop)
        if value is not None and not (isinstance(value, str) and regex.match(value)):
            self.fail(prop, f"'{prop}' must be {rule}")

    def one_of(self, prop: str, allowed: Iterable[str]) -> None:
        value = self.known(prop)
        if value is not None and str(value).lower() not in allowed:
            self.fail(prop, f"'{prop}' must be one of: {', '.join(allowed)}")

    def between(self, prop: str, value: Any, low: float, high: float) -> None:
        if value is None or is_unknown(value):
            return
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            self.fail(prop, f"'{prop}' must be a number from {low:g} to {high:g}")

    def limits(self, prop: str, limits: dict[str, tuple[int, int]]) -> None:
        """An object's numeric settings within Cloudflare's limits (keys as the API spells them)."""
        settings = self.known(prop)
        if settings is None:
            return
        if not isinstance(settings, dict):
            self.fail(prop, f"'{prop}' must be an object")
            return
        for key, (low, high) in limits.items():
            self.between(f"{prop}.{camel(key)}", settings.get(camel(key)), low, high)

    def each(self, prop: str, check: Callable[[str, Any], None]) -> None:
        """Run `check(path, element)` on each known element of a list property."""
        value = self.known(prop)
        if value is None:
            return
        if not isinstance(value, list):
            self.fail(prop, f"'{prop}' must be a list")
            return
        for index, element in enumerate(value):
            if not is_unknown(element):
                check(f"{prop}[{index}]", element)

    def account(self) -> None:
        self.required("accountId")
        self.pattern("accountId", rules.ACCOUNT_ID, "a 32-character lowercase hex account id")

    def date(self, prop: str) -> None:
        value = self.known(prop)
        if value is None:
            return
        try:
            ok = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(date.fromisoformat(value))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            self.fail(prop, f"'{prop}' must be a date, YYYY-MM-DD")

    def hostname(self, prop: str) -> None:
        value = self.known(prop)
        if value is None:
            return
        if "*" in value:
            self.fail(prop, "Wildcard operators are not allowed in Custom Domains")
        elif not rules.HOSTNAME.match(value.lower()):
            self.fail(prop, f"'{prop}' must be a fully qualified hostname")


# Per binding type, the fields it must name (each tuple: one of these).
BINDING_TARGETS: dict[str, tuple[tuple[str, ...], ...]] = {
    "kv_namespace": (("namespaceId",),),
    "d1": (("id", "databaseId"),),
    "queue": (("queueName",),),
    "service": (("service",),),
    "dispatch_namespace": (("namespace",),),
    "secrets_store_secret": (("storeId",), ("secretName",)),
    "plain_text": (("text",),),
    "secret_text": (("text",),),
}


def binding_failures(checker: Checker, prop: str = "bindings") -> None:
    """Bindings: each has a name and a type, names are unique, the type's target is named."""
    seen: set[str] = set()

    def check(path: str, binding: Any) -> None:
        if not isinstance(binding, dict) or not binding.get("name") or not binding.get("type"):
            checker.fail(path, "every binding needs a name and a type")
            return
        name, kind = binding["name"], binding["type"]
        if name in seen:
            checker.fail(path, f"binding name '{name}' is used more than once")
        seen.add(name)
        for alternatives in BINDING_TARGETS.get(kind, ()):
            if all(binding.get(field) is None for field in alternatives):
                needs = " or ".join(f"'{field}'" for field in alternatives)
                checker.fail(path, f"binding '{name}' of type {kind} needs {needs}")

    checker.each(prop, check)
