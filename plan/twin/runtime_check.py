"""Before deploy, what only the runtime reports: each bundle loaded in workerd (through the twin's
runner), its exports described there, and the stack's use of them checked.

- a bundle that does not load (syntax error, a throw at the top level, a missing module);
- a bundle without handlers: Cloudflare rejects its upload with "The uploaded script has no
  registered event handlers";
- a service binding naming an entrypoint its target's bundle does not export;
- a worker consuming a queue without a `queue` handler.

Each problem is reported at the key path of the bundle at fault (`workers.auth.bundle`), naming
the binding or consumer that needs what it lacks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plan.twin.config import TWIN_DIR, script
from plan.twin.process import Runner, RunnerFailed
from stacks import naming
from stacks.errors import Problem
from stacks.loader import LoadedPlatform

HANDLERS = ("fetch", "scheduled", "queue", "email", "tail", "trace", "tailStream", "test")
"""Handler names of a module worker's exported object (developers.cloudflare.com/workers/
runtime-apis/handlers/)."""
ENTRYPOINT_CLASSES = ("WorkerEntrypoint", "DurableObject", "WorkflowEntrypoint")
CHECK_TIMEOUT_SECONDS = 120


def run(loaded: LoadedPlatform, *, twin_dir: Path = TWIN_DIR) -> tuple[list[Problem], dict]:
    """Problems found by loading each worker's stable bundle in workerd, and the versions
    (the twin runs stable versions only; a candidate's bundle is not loaded)."""
    env = loaded.spec.environment
    workers = [
        script(naming.physical(key, env), w, loaded.bundles[key])
        for key, w in loaded.spec.workers.items()
    ]
    with Runner({"mode": "check", "workers": workers}, twin_dir=twin_dir) as runner:
        try:
            event = runner.wait_for("checked", timeout=CHECK_TIMEOUT_SECONDS)
        except RunnerFailed as err:
            failed = Problem("", f"the runtime check could not run: {err}")
            return [failed], err.event.get("versions", {})
    return problems(loaded, event["results"]), event.get("versions", {})


def problems(loaded: LoadedPlatform, results: list[dict[str, Any]]) -> list[Problem]:
    """What the runner found, checked against the stack's config (pure)."""
    spec, env = loaded.spec, loaded.spec.environment
    by_script = {naming.physical(k, env): k for k in spec.workers}
    exports = {by_script[r["name"]]: r.get("exports") for r in results if r.get("loaded")}
    found: list[Problem] = []
    for r in results:
        if not r.get("loaded"):
            key = by_script[r["name"]]
            found.append(
                Problem(
                    f"workers.{key}.bundle",
                    f"bundle '{spec.workers[key].bundle}' does not load in workerd: "
                    f"{load_error(r.get('error') or {})}",
                )
            )
    for key, described in exports.items():
        bundle = spec.workers[key].bundle
        if not _registers_handlers(described):
            found.append(
                Problem(
                    f"workers.{key}.bundle",
                    f"bundle '{bundle}' has no registered event handlers (Cloudflare rejects the "
                    'upload: "The uploaded script has no registered event handlers"); export '
                    "a default object with a handler, e.g. `export default { fetch(request, env) "
                    "{ ... } }`",
                )
            )
        default = described.get("default")
        for i, c in enumerate(spec.workers[key].consumes):
            if "queue" not in _methods(default):
                found.append(
                    Problem(
                        f"workers.{key}.bundle",
                        f"bundle '{bundle}' has no `queue` handler, but "
                        f"workers.{key}.consumes[{i}] consumes queue '{c.queue}'; add "
                        "`async queue(batch, env)` to its default export",
                    )
                )
    for caller, w in spec.workers.items():
        for i, b in enumerate(w.bindings):
            target = by_script.get(b.service) if b.kind == "service" else None
            if b.entrypoint is None or target not in exports:
                continue
            named = exports[target].get(b.entrypoint)
            if not _is_entrypoint(named):
                offered = sorted(k for k, v in exports[target].items() if k != "default" and v)
                found.append(
                    Problem(
                        f"workers.{target}.bundle",
                        f"bundle '{spec.workers[target].bundle}' does not export entrypoint "
                        f"'{b.entrypoint}', which workers.{caller}.bindings[{i}] ({b.name}) binds; "
                        f"its named exports: {', '.join(offered) or 'none'}",
                    )
                )
    return found


def load_error(error: dict[str, Any]) -> str:
    """workerd's message for a script that does not load, with where and a hint if known."""
    text = error.get("message") or "unknown error"
    if error.get("at"):
        text += f" ({Path(error['at']).name})"
    if 'No such module "node:' in text:
        text = text.rstrip(".") + "; Node.js built-in modules need `compatibilityFlags: "
        text += "[nodejs_compat]`"
    return text


def _methods(described: dict[str, Any] | None) -> list[str]:
    return described.get("methods", []) if described else []


def _is_entrypoint(described: dict[str, Any] | None) -> bool:
    """A class Cloudflare can bind to (WorkerEntrypoint and kin) or an object with handlers."""
    if not described:
        return False
    if described["kind"] in ENTRYPOINT_CLASSES:
        return True
    return described["kind"] == "object" and any(m in HANDLERS for m in described["methods"])


def _registers_handlers(exports: dict[str, Any]) -> bool:
    return any(_is_entrypoint(described) for described in exports.values())
