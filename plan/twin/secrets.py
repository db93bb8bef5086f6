"""Local values for a stack's secrets in the twin: never the stack's own (those stay encrypted
in the stack file and are never decrypted here).

A secret is named as the stack names its value: a Secrets Store secret by its name under
`secrets` (or `mail.serverTokenSecret`), e.g. POSTMARK_SERVER_TOKEN; a `secretText` binding by
its config key, e.g. postmarkWebhookBearer. Each value comes from, in order: the `--secrets`
file (`NAME=value` lines), the environment variable EDGE_TWIN_SECRET_<NAME>, or a random value
generated for this run.
"""

from __future__ import annotations

import secrets as random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "EDGE_TWIN_SECRET_"
MASK = "[secret]"


class SecretsFileError(Exception):
    """The --secrets file is unreadable or names a secret the stack does not have."""


@dataclass(frozen=True)
class LocalValue:
    name: str
    source: str
    """Where the value came from, for the listing: never the value itself."""
    value: str = field(repr=False)


def resolve(
    names: Iterable[str], *, secrets_file: Path | None, environ: Mapping[str, str]
) -> dict[str, LocalValue]:
    """A local value for each name (sorted), from the file, the environment or generated."""
    wanted = sorted(set(names))
    from_file = _read_file(secrets_file, wanted) if secrets_file is not None else {}
    values = {}
    for name in wanted:
        if name in from_file:
            values[name] = LocalValue(name, f"from {secrets_file}", from_file[name])
        elif environ.get(ENV_PREFIX + name):
            values[name] = LocalValue(name, f"from ${ENV_PREFIX}{name}", environ[ENV_PREFIX + name])
        else:
            values[name] = LocalValue(name, "generated", f"local-{random.token_hex(12)}")
    return values


def _read_file(path: Path, wanted: list[str]) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SecretsFileError(f"--secrets {path}: cannot read it ({err.strerror})") from None
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise SecretsFileError(f"--secrets {path}, line {number}: expected NAME=value")
        if name not in wanted:
            raise SecretsFileError(
                f"--secrets {path}, line {number}: '{name}' is not a secret of this stack's "
                f"workers (they bind: {', '.join(wanted) or 'none'})"
            )
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        found[name] = value
    return found


class Redactor:
    """Replaces every local secret value in a line of output with [secret]."""

    def __init__(self, values: Iterable[str]):
        self._values = sorted({v for v in values if v}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, MASK)
        return text
