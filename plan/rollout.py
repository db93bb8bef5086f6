"""Drop the candidate versions from a stack file: the rollback of a gradual rollout.

The file is edited as text, so comments and ciphertext stay as they are; the result is parsed
again and must equal the old config less the candidates, or nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import yaml

from stacks.errors import CONFIG_KEY

WORKERS_LINE = re.compile(r"^(?P<indent> *)workers:\s*(#.*)?$")
KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):(\s|$)")


class RolloutError(Exception):
    """The file cannot be edited safely (its layout is not one this edit understands)."""


@dataclass(frozen=True)
class Dropped:
    worker: str
    percentage: float


def drop_candidates(text: str, only: Collection[str] = ()) -> tuple[str, list[Dropped]]:
    """`text` without the `candidate:` block of each worker (of `only`'s, if given)."""
    before = _platform(text)
    workers = before.get("workers") or {}
    wanted = [w for w, spec in workers.items() if isinstance(spec, dict) and "candidate" in spec]
    unknown = sorted(set(only) - set(workers))
    if unknown:
        raise RolloutError(f"no worker {', '.join(unknown)} in the stack file")
    if only:
        wanted = [w for w in wanted if w in only]
    lines = text.splitlines(keepends=True)
    for worker in wanted:
        lines = _without_block(lines, worker)
    after_text = "".join(lines)
    expected = _platform(text)
    for worker in wanted:
        expected["workers"][worker].pop("candidate")
    if _platform(after_text) != expected:
        raise RolloutError("the edited file does not read as the same config less the candidates")
    dropped = [Dropped(w, float(workers[w]["candidate"].get("percentage", 0))) for w in wanted]
    return after_text, dropped


def _platform(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text) or {}
    platform = (data.get("config") or {}).get(CONFIG_KEY)
    if not isinstance(platform, dict):
        raise RolloutError(f"no `{CONFIG_KEY}` object in the stack file")
    return platform


def _without_block(lines: list[str], worker: str) -> list[str]:
    """The lines less `candidate:` (and everything indented under it) of `workers.<worker>`."""
    workers_at = next((i for i, line in enumerate(lines) if WORKERS_LINE.match(line)), None)
    if workers_at is None:
        raise RolloutError("no `workers:` line in the stack file")
    base = len(WORKERS_LINE.match(lines[workers_at])["indent"])
    worker_at = worker_indent = None
    for i in range(workers_at + 1, len(lines)):
        match = KEY_LINE.match(lines[i])
        if match is None:
            continue
        indent = len(match["indent"])
        if indent <= base:
            break  # past `workers:`
        if match["key"] == worker and (worker_indent is None or indent == worker_indent):
            worker_at, worker_indent = i, indent
            break
        worker_indent = worker_indent or indent
    if worker_at is None:
        raise RolloutError(f"worker '{worker}' is not written as a block under `workers:`")
    for i in range(worker_at + 1, len(lines)):
        match = KEY_LINE.match(lines[i])
        if match is None:
            continue
        indent = len(match["indent"])
        if indent <= worker_indent:
            break
        if match["key"] == "candidate":
            end = i + 1
            while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
                end += 1
            return lines[:i] + lines[end:]
    raise RolloutError(f"worker '{worker}': its `candidate:` is not written as a block")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))
