"""Config problems: every one collected, each with the key path it is about."""

from __future__ import annotations

from dataclasses import dataclass

CONFIG_KEY = "edge-platform:platform"


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    """Key path inside the platform config, e.g. `workers.auth.bindings[0].service`."""
    message: str
    """What is wrong and what to do."""
    key: str = CONFIG_KEY
    """The stack config key the path is inside: the platform object, or another config key
    (a secret's key, a misspelt key)."""

    def __str__(self) -> str:
        where = f"{self.key}.{self.path}" if self.path else self.key
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """The stack config is invalid; raised before any resource is registered."""

    def __init__(self, stack: str, problems: list[Problem]):
        self.stack = stack
        self.problems = sorted(set(problems))
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = f"stack '{self.stack}': {count} config problem{'s' if count != 1 else ''}"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])
