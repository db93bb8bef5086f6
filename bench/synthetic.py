"""Marginal cost per registered resource: the real program vs the SDK's bare mock engine.

`bench.run` runs this module in one fresh subprocess (`python -m bench.synthetic SIZES...`); it
prints one JSON object on stdout and progress on stderr. For each size N, three sides register N
workers (a Worker, one WorkerVersion with a KV binding to one shared namespace and a plain-text
binding, a WorkersDeployment at 100%) with identical inputs, each in a fresh context:

- program: a generated platform config (N workers) run through `plan.engine.evaluate`: stack
  file read, pydantic validation, topology checks, bundle hashing, a Worker component around
  each worker's three resources, RecordingMonitor capture into a Manifest; then
  `render_show(manifest)` and
  `json.dumps(manifest.to_json())` as `plan show` / `plan show --json` do.
- floor: `pulumi.runtime.set_mocks` with a trivial Mocks and the SDK's plain MockMonitor, and a
  loop creating the same Worker, WorkerVersion and WorkersDeployment directly under
  `@pulumi.runtime.test`. Three registrations per worker (the program registers four: the
  component too).
- floor_same_graph: the floor with each worker's resources (and the KV namespace) under a bare
  ComponentResource, so it registers exactly what the program registers, in the same shape, with
  no capture and no rendering.

`--explain N` adds ablations at N workers (diagnostics): the program with nothing recorded, and
program and same-graph floor with the cyclic GC off.
`--profile N` adds a cProfile of the program and the same-graph floor at N workers.
"""

from __future__ import annotations

import argparse
import contextvars
import cProfile
import gc
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import pulumi  # noqa: E402
import pulumi_cloudflare as cloudflare  # noqa: E402
from pulumi.runtime import mocks as pulumi_mocks  # noqa: E402

import plan.engine  # noqa: E402
from plan.engine import RecordingMonitor, evaluate  # noqa: E402
from plan.render.show import render_show  # noqa: E402
from tests.support.project import write_project  # noqa: E402

STACK = "staging"
PROJECT = "edge-platform"
ACCOUNT = "0b7e3c2f1a4d4e6f8a9b0c1d2e3f4a5b"
COMPAT_DATE = "2025-09-01"
FAKE_SHA256 = "0" * 64
KINDS = ("program", "floor", "floor_same_graph")
VERSION_TYPE = "WorkerVersion"
"""What the `scripts` counters count: one worker version per worker."""


def worker_key(i: int) -> str:
    return f"w-{i:05d}"


def platform_config(n: int) -> dict[str, Any]:
    """A staging platform: one KV namespace and N workers with two bindings each."""
    return {
        "environment": STACK,
        "accountId": ACCOUNT,
        "protectStateful": False,
        "kvNamespaces": {"shared-kv": {}},
        "workers": {
            worker_key(i): {
                # write_project writes the file and pins its real SHA-256.
                "bundle": {"path": f"bundles/{worker_key(i)}.js", "sha256": FAKE_SHA256},
                "compatibilityDate": COMPAT_DATE,
                "compatibilityFlags": ["nodejs_compat"],
                "bindings": [
                    {"name": "STATE", "kv": "shared-kv"},
                    {"name": "LOG_LEVEL", "text": "info"},
                ],
            }
            for i in range(n)
        },
    }


# --- program side ---------------------------------------------------------------------------


def run_program(root: Path) -> dict[str, Any]:
    started = time.perf_counter()
    manifest = evaluate(REPO, STACK, config_dir=root)
    evaluated = time.perf_counter()
    text = render_show(manifest)
    rendered = time.perf_counter()
    as_json = json.dumps(manifest.to_json(), indent=2, sort_keys=True)
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "evaluate": evaluated - started,
        "render_show": rendered - evaluated,
        "to_json": done - rendered,
        "registered": len(manifest.resources),
        "custom": sum(1 for r in manifest.resources if r.custom),
        "scripts": sum(1 for r in manifest.resources if r.type.endswith(VERSION_TYPE)),
        "output_chars": len(text) + len(as_json),
    }


# --- floor side -----------------------------------------------------------------------------


class TrivialMocks(pulumi_mocks.Mocks):
    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        return (f"{args.name}-id" if args.custom else "", args.inputs)

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict:
        return {}


class CountingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's plain MockMonitor plus two integer counters, so both sides print their counts."""

    def __init__(self, mocks: pulumi_mocks.Mocks):
        super().__init__(mocks)
        self.registered = 0
        self.custom = 0
        self.scripts = 0

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        if request.type != "pulumi:pulumi:Stack":
            self.registered += 1
            self.custom += request.custom
            self.scripts += request.type.endswith(VERSION_TYPE)
        return super().RegisterResource(request)


def _floor(n: int, bundle_dir: Path, same_graph: bool) -> dict[str, Any]:
    pulumi.runtime.settings.ROOT.set(None)  # as plan.engine.install_mocks does
    mocks = TrivialMocks()
    monitor = CountingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor)

    def component(type_: str, name: str) -> pulumi.ComponentResource | None:
        return pulumi.ComponentResource(type_, name) if same_graph else None

    def under(parent: pulumi.ComponentResource | None) -> pulumi.ResourceOptions | None:
        return pulumi.ResourceOptions(parent=parent) if parent is not None else None

    @pulumi.runtime.test
    def program():
        kv_parent = component("bench:floor:KvNamespace", "shared-kv")
        kv = cloudflare.WorkersKvNamespace(
            "shared-kv", account_id=ACCOUNT, title="shared-kv-staging", opts=under(kv_parent)
        )
        for i in range(n):
            key = worker_key(i)
            parent = component("bench:floor:Worker", key)
            worker = cloudflare.Worker(
                key, account_id=ACCOUNT, name=f"{key}-staging", opts=under(parent)
            )
            version = cloudflare.WorkerVersion(
                f"{key}-version",
                account_id=ACCOUNT,
                worker_id=worker.id,
                main_module="index.js",
                compatibility_date=COMPAT_DATE,
                compatibility_flags=["nodejs_compat"],
                modules=[
                    {
                        "name": "index.js",
                        "content_type": "application/javascript+module",
                        "content_file": str(bundle_dir / f"bundles/{key}.js"),
                    }
                ],
                bindings=[
                    {"name": "LOG_LEVEL", "type": "plain_text", "text": "info"},
                    {"name": "STATE", "type": "kv_namespace", "namespace_id": kv.id},
                ],
                opts=under(parent),
            )
            cloudflare.WorkersDeployment(
                f"{key}-deployment",
                account_id=ACCOUNT,
                script_name=worker.name,
                strategy="percentage",
                versions=[{"version_id": version.id, "percentage": 100}],
                opts=under(parent),
            )
            if parent is not None:
                parent.register_outputs({})
        if kv_parent is not None:
            kv_parent.register_outputs({})

    started = time.perf_counter()
    program()
    return {
        "seconds": time.perf_counter() - started,
        "registered": monitor.registered,
        "custom": monitor.custom,
        "scripts": monitor.scripts,
    }


def run_floor(n: int, bundle_dir: Path, same_graph: bool = False) -> dict[str, Any]:
    return contextvars.Context().run(_floor, n, bundle_dir, same_graph)


# --- ablations (--explain): where the program's extra cost per resource goes ------------------


@contextmanager
def _patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    saved = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, saved)


class UnrecordingMonitor(RecordingMonitor):
    """RecordingMonitor (same URNs) that records nothing: the plain MockMonitor's work only."""

    last: UnrecordingMonitor

    def __init__(self, mocks: pulumi_mocks.Mocks):
        super().__init__(mocks)
        self.registered = self.custom = self.scripts = 0
        type(self).last = self

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        if request.type != "pulumi:pulumi:Stack":
            self.registered += 1
            self.custom += request.custom
            self.scripts += request.type.endswith(VERSION_TYPE)
        return pulumi_mocks.MockMonitor.RegisterResource(self, request)


def run_program_without_capture(root: Path) -> dict[str, Any]:
    """The program with nothing recorded (so the manifest is empty and rendering trivial): the
    program's own cost and the engine's, without capture and rendering."""
    with _patched(plan.engine, "RecordingMonitor", UnrecordingMonitor):
        result = run_program(root)
    monitor = UnrecordingMonitor.last
    result.update(registered=monitor.registered, custom=monitor.custom, scripts=monitor.scripts)
    return result


def _gc_off(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    gc.disable()
    try:
        return run()
    finally:
        gc.enable()


# --- driver ---------------------------------------------------------------------------------


def _runners(roots: dict[int, Path]) -> dict[str, Callable[[int], dict[str, Any]]]:
    return {
        "program": lambda n: run_program(roots[n]),
        "floor": lambda n: run_floor(n, roots[n]),
        "floor_same_graph": lambda n: run_floor(n, roots[n], same_graph=True),
        # --explain only:
        "program_no_capture": lambda n: run_program_without_capture(roots[n]),
        "program_gc_off": lambda n: _gc_off(lambda: run_program(roots[n])),
        "floor_same_graph_gc_off": lambda n: _gc_off(
            lambda: run_floor(n, roots[n], same_graph=True)
        ),
    }


EXPLAIN_KINDS = (
    "program",
    "program_no_capture",
    "floor_same_graph",
    "program_gc_off",
    "floor_same_graph_gc_off",
)


def measure(
    sizes: list[int],
    repeats: int,
    budget: float,
    work: Path,
    kinds: tuple[str, ...] = KINDS,
    label: str = "synthetic",
) -> dict[str, Any]:
    """Every kind at every size, interleaved (so drift and load hit all kinds alike).

    A size runs rounds until they have taken `budget` seconds, at least one and at most
    `repeats`: many rounds of the small sizes (noisy), one or two of the large ones. Before
    anything, one discarded round at the smallest size pays the first-call costs (lazy imports,
    pydantic schema build, caches)."""
    roots = {n: write_project(work / f"n{n}", STACK, platform_config(n)) for n in set(sizes)}
    runners = _runners(roots)
    for kind in kinds:
        runners[kind](min(sizes))
    results: dict[str, Any] = {k: {} for k in kinds}
    for n in sizes:
        started = time.perf_counter()
        for round_ in range(repeats):
            for kind in kinds:
                gc.collect()
                results[kind].setdefault(str(n), []).append(runners[kind](n))
            elapsed = time.perf_counter() - started
            print(f"  {label} N={n}: round {round_ + 1} done ({elapsed:.0f} s)", file=sys.stderr)
            if elapsed > budget:
                break
    return results


def _area(filename: str) -> str:
    """Where a profiled function lives: a third-party package, a project package, or stdlib."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if filename.startswith(str(REPO) + "/"):
        return "project:" + filename[len(str(REPO)) + 1 :].split("/", 1)[0]
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C)"
    if "/asyncio/" in filename:
        return "stdlib:asyncio"
    return "stdlib:" + Path(filename).stem


def profile(n: int, work: Path, top: int) -> dict[str, Any]:
    """cProfile one run of each side at size N (after `measure`, so warm).

    Per side: own time summed by where the code lives (package), and the top functions by own
    time, as text."""
    roots = {n: write_project(work / f"p{n}", STACK, platform_config(n))}
    runners = _runners(roots)
    out: dict[str, Any] = {}
    for kind in ("program", "floor_same_graph"):
        gc.collect()
        profiler = cProfile.Profile()
        profiler.enable()
        runners[kind](n)
        profiler.disable()
        stats = pstats.Stats(profiler)
        areas: dict[str, float] = {}
        for (filename, _line, _func), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
            area = _area(filename)
            areas[area] = areas.get(area, 0.0) + tottime
        buffer = io.StringIO()
        stats.stream = buffer
        stats.sort_stats("tottime").print_stats(top)
        out[kind] = {"total": stats.total_tt, "areas": areas, "top": buffer.getvalue()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="+", help="worker counts; include 0 (baseline)")
    parser.add_argument("--repeats", type=int, default=7, help="at most this many rounds")
    parser.add_argument("--budget", type=float, default=40.0, help="seconds per size")
    parser.add_argument("--profile", type=int, default=0, help="also cProfile size N")
    parser.add_argument(
        "--explain", type=int, default=0, help="also run the ablations at 0 and N workers"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-synthetic-") as work:
        results: dict[str, Any] = {
            "runs": measure(args.sizes, args.repeats, args.budget, Path(work))
        }
        if args.explain:
            results["explain"] = {
                "workers": args.explain,
                "runs": measure(
                    [0, args.explain],
                    args.repeats,
                    args.budget,
                    Path(work) / "explain",
                    EXPLAIN_KINDS,
                    "explain",
                ),
            }
        if args.profile:
            results["profile"] = {
                "workers": args.profile,
                **profile(args.profile, Path(work), top=25),
            }
    results["medians"] = {
        kind: {n: statistics.median(r["seconds"] for r in runs) for n, runs in by_n.items()}
        for kind, by_n in results["runs"].items()
    }
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
