"""Benchmark of the offline plan tool: start-up, diff, and marginal cost per resource.

    .venv/bin/python -m bench.run            # default: N=3 runs, synthetic 100 and 1,000 workers
    .venv/bin/python -m bench.run --full     # also 5,000 synthetic workers (several minutes more)
    .venv/bin/python -m bench.run --json     # the results as JSON instead of the table

Prints a table with a PASS/MISS per target and always exits 0 unless the benchmark itself
crashes. Progress goes to stderr. See bench/README.md for what is measured and the caveats.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
STACKS = ("staging", "prod")

# Targets (ratios).
SHOW_VS_IMPORTS = 1.3
DIFF_VS_SHOW = 2.0
CAPTURE_OVERHEAD = 1.25
NON_LINEAR = 1.5

# The third-party imports of `plan show`, by the names the program uses: pydantic, typer and
# pulumi_aws load submodules lazily, on attribute access, so a bare `import pydantic` would
# understate the floor. `bench.run` checks this list against what `plan show` really loads.
IMPORT_FLOOR = """\
import pulumi, pulumi.dynamic, pulumi.runtime.mocks
import pulumi_cloudflare
import pulumi_aws
pulumi_aws.route53.Record
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel
import yaml, typer, httpx, tenacity
"""

# Runs a command (or code) and writes the third-party modules it loaded to a file at exit.
_MODULE_PROBE = """\
import atexit, json, runpy, sys
out, mode, arg = sys.argv[1], sys.argv[2], sys.argv[3]
def dump():
    loaded = [n for n, m in list(sys.modules.items())
              if "site-packages" in (getattr(m, "__file__", None) or "")]
    with open(out, "w") as f:
        json.dump(sorted(loaded), f)
atexit.register(dump)
if mode == "code":
    exec(arg)
else:
    sys.path.insert(0, ".")
    sys.argv = ["plan", *arg.split()]
    runpy.run_module("plan", run_name="__main__", alter_sys=True)
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- machine --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    versions = json.loads(
        subprocess.run(
            [
                PYTHON,
                "-c",
                "import json, platform, importlib.metadata as m;"
                "print(json.dumps({'python': platform.python_version(), **{p: m.version(p) for p"
                " in ('pulumi', 'pulumi_cloudflare', 'pulumi_aws', 'pydantic', 'PyYAML')}}))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python_executable": PYTHON,
        **versions,
        "pythondontwritebytecode": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
    }


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(
        ["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


# --- timing of commands ---------------------------------------------------------------------


def run_timed(argv: Sequence[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run(
        list(argv), cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    return time.perf_counter() - started, result


@dataclass
class Command:
    label: str
    argv: list[str]
    cwd: Path
    ok: Callable[[subprocess.CompletedProcess], bool] = lambda r: r.returncode == 0


def time_commands(commands: list[Command], runs: int) -> dict[str, dict[str, Any]]:
    """Wall time of each command in fresh subprocesses: one discarded warm-up each, then `runs`
    rounds, each running every command once in turn, so that a change of load on the machine
    hits every command alike. A command that fails (per its `ok`) stops being run."""
    out: dict[str, dict[str, Any]] = {}
    last: dict[str, subprocess.CompletedProcess] = {}
    times: dict[str, list[float]] = {c.label: [] for c in commands}
    for round_ in range(runs + 1):
        log(f"  round {round_}/{runs}" + (" (warm-up, discarded)" if round_ == 0 else ""))
        for c in commands:
            if "error" in out.get(c.label, {}):
                continue
            seconds, result = run_timed(c.argv, c.cwd)
            if not c.ok(result):
                out[c.label] = {"label": c.label, "error": _failure(result)}
                continue
            if round_ > 0:
                times[c.label].append(seconds)
            last[c.label] = result
    for c in commands:
        if "error" in out.get(c.label, {}):
            continue
        t = times[c.label]
        out[c.label] = {
            "label": c.label,
            "command": shlex.join(c.argv),
            "median": statistics.median(t),
            "min": min(t),
            "max": max(t),
            "runs": t,
            "stdout": last[c.label].stdout,
        }
    return out


def _failure(result: subprocess.CompletedProcess) -> str:
    tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
    return f"exit {result.returncode}: " + " | ".join(tail)


def module_coverage(work: Path) -> dict[str, Any]:
    """Third-party modules `plan show staging` loads that the import floor does not."""
    probe = work / "probe.py"
    probe.write_text(_MODULE_PROBE)
    show_out, floor_out = work / "show-modules.json", work / "floor-modules.json"
    subprocess.run(
        [PYTHON, str(probe), str(show_out), "plan", "show staging"],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    subprocess.run(
        [PYTHON, str(probe), str(floor_out), "code", IMPORT_FLOOR],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    if not (show_out.exists() and floor_out.exists()):
        return {"error": "module probe failed"}
    show, floor = set(json.loads(show_out.read_text())), set(json.loads(floor_out.read_text()))
    return {
        "show": len(show),
        "floor": len(floor),
        "show_only": sorted(show - floor),
        "floor_only": sorted(floor - show),
    }


# --- 1 and 2. plan show vs imports, plan diff vs plan show --------------------------------


def diff_available() -> tuple[bool, str]:
    result = subprocess.run(
        [PYTHON, "-m", "plan", "diff", "--help"], cwd=REPO, capture_output=True, text=True
    )
    if result.returncode == 0 and "--base" in result.stdout:
        return True, ""
    return False, _failure(result)


def _program_changes() -> str:
    """`git status` of everything but bench/ (which is not part of the program)."""
    return git("status", "--porcelain", "--", ".", ":(exclude)bench")


@contextmanager
def clean_tree(work: Path) -> Iterator[tuple[Path, str]]:
    """A tree whose HEAD holds the same program as its working tree, so that `--base HEAD`
    evaluates the same program on both sides.

    The repository itself when it has no changes outside bench/; otherwise a throwaway
    repository in `work` holding a copy of the working tree (tracked and untracked files,
    .gitignore respected) as one commit. The project's repository, index and branches are never
    written to."""
    head = git("rev-parse", "--short", "HEAD")
    if not _program_changes():
        yield REPO, f"the repository itself (no changes outside bench/ since {head})"
        return
    snapshot = work / "snapshot"
    files = git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():  # a file deleted but not staged yet is listed and absent
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    quiet = {"capture_output": True, "check": True}
    subprocess.run(["git", "init", "-q", str(snapshot)], **quiet)
    subprocess.run(["git", "-C", str(snapshot), "add", "-A"], **quiet)
    subprocess.run(
        ["git", "-C", str(snapshot), "-c", "user.name=bench", "-c", "user.email=bench@localhost",
         "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", "snapshot"],
        **quiet,
    )  # fmt: skip
    yield (
        snapshot,
        (
            f"a throwaway git snapshot of the working tree ({head} has uncommitted changes, so "
            "--base HEAD would not be the same program)"
        ),
    )


def _diff_evaluated_both_sides(result: subprocess.CompletedProcess) -> bool:
    """Exit 0/1 (1: policy findings) and, per stack, both sides present with no error."""
    if result.returncode not in (0, 1):
        return False
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return False
    stacks = report.get("stacks", [])
    return len(stacks) == len(STACKS) and all(
        s.get("base") == "present" and s.get("working_tree") == "present" and not s.get("errors")
        for s in stacks
    )


def bench_commands(runs: int, work: Path, skip: Sequence[str]) -> dict[str, Any]:
    """Sections 1 and 2, their commands interleaved round by round."""
    log("1-2. import floor, plan show, plan diff (fresh subprocesses, interleaved)")
    shows = [Command(f"plan show {s}", [PYTHON, "-m", "plan", "show", s], REPO) for s in STACKS]
    commands: list[Command] = []
    results: dict[str, Any] = {}
    if "show" not in skip:
        commands += [Command("import floor", [PYTHON, "-c", IMPORT_FLOOR], REPO), *shows]
    with ExitStack() as stack:
        if "diff" not in skip:
            available, why = diff_available()
            results["diff"] = {"available": available}
            if not available:
                results["diff"]["why"] = why
            else:
                tree, where = stack.enter_context(clean_tree(work))
                results["diff"]["tree"] = where
                argv = [PYTHON, "-m", "plan", "diff", "--base", "HEAD", "--format", "json"]
                commands.append(
                    Command("plan diff", [*argv, *STACKS], tree, _diff_evaluated_both_sides)
                )
                if "show" in skip:  # the diff's reference
                    commands += shows
        timed = time_commands(commands, runs) if commands else {}

    if "show" not in skip:
        shown = {s: timed[f"plan show {s}"] for s in STACKS}
        for show in shown.values():
            first = show.pop("stdout", "").splitlines()[:1]
            show["summary"] = first[0] if first else ""
        floor = timed["import floor"]
        floor.pop("stdout", None)
        results["show"] = {"floor": floor, "shows": shown, "modules": module_coverage(work)}
    diff = results.get("diff")
    if diff and diff["available"]:
        diff.update(timed["plan diff"])
        if "error" in diff:
            diff["error"] += " (needs exit 0/1 and both sides evaluated in every stack)"
        else:
            report = json.loads(diff.pop("stdout"))
            diff["internal_timings"] = report.get("timings_seconds", {})
            diff["summary"] = report.get("summary", {})
        if "show" in skip:
            diff["shows"] = {s: timed[f"plan show {s}"] for s in STACKS}
            for show in diff["shows"].values():
                show.pop("stdout", None)
    return results


# --- 3. marginal cost per resource ----------------------------------------------------------


def bench_synthetic(
    sizes: list[int], repeats: int, budget: float, profile: int, explain: int
) -> dict[str, Any]:
    log(f"3. synthetic workers {sizes} (in-process, one fresh subprocess)")
    argv = [
        PYTHON,
        "-m",
        "bench.synthetic",
        "0",
        *map(str, sizes),
        "--repeats",
        str(repeats),
        "--budget",
        str(budget),
        "--profile",
        str(profile),
        "--explain",
        str(explain),
    ]
    result = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        return {"error": f"bench.synthetic failed (exit {result.returncode}); see stderr above"}
    data = json.loads(result.stdout)
    data["command"] = shlex.join(argv)
    data["marginal"] = marginal(data["runs"])
    if "explain" in data:
        data["explain"]["marginal"] = marginal(data["explain"]["runs"])
    return data


def marginal(runs: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """Per kind and size: median seconds, counts, and the cost per registered resource and per
    worker above the 0-worker baseline of the same kind."""
    out: dict[str, Any] = {}
    for kind, by_n in runs.items():
        base = by_n["0"]
        base_s = statistics.median(r["seconds"] for r in base)
        base_min = min(r["seconds"] for r in base)
        base_reg = base[0]["registered"]
        out[kind] = {}
        for n, rs in by_n.items():
            seconds = statistics.median(r["seconds"] for r in rs)
            row = {
                "seconds": seconds,
                "runs": len(rs),
                "registered": rs[0]["registered"],
                "custom": rs[0]["custom"],
                "scripts": rs[0]["scripts"],
            }
            if n != "0":
                added = row["registered"] - base_reg
                row["ms_per_registered"] = 1000 * (seconds - base_s) / added
                row["ms_per_worker"] = 1000 * (seconds - base_s) / int(n)
                fastest = min(r["seconds"] for r in rs)
                row["ms_per_registered_min"] = 1000 * (fastest - base_min) / added
            if kind == "program":
                for part in ("evaluate", "render_show", "to_json"):
                    row[part] = statistics.median(r[part] for r in rs)
            out[kind][n] = row
    return out


# --- report ---------------------------------------------------------------------------------


def verdict(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    return "PASS" if value <= target else "MISS"


def table(rows: list[list[str]], indent: str = "  ", left: int = 1) -> list[str]:
    """Aligned columns: the first `left` columns left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, row in enumerate(rows):
        cells = [
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append(indent + "  ".join(cells).rstrip())
        if k == 0:
            lines.append(indent + "  ".join("-" * w for w in widths))
    return lines


def seconds_row(label: str, timed: dict[str, Any]) -> list[str]:
    if "error" in timed:
        return [label, "failed", "", "", timed["error"][:60]]
    return [
        label,
        f"{timed['median']:.2f} s",
        f"{timed['min']:.2f} s",
        f"{timed['max']:.2f} s",
        str(len(timed["runs"])),
    ]


def report(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "plan benchmark (edge-platform offline plan; Pulumi SDK mock engine, not the real engine)",
        f"command : {results['command']}",
        f"machine : {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), {m['memory']}, "
        f"{m['os']}; load avg {results['load_before']} before, {results['load_after']} after",
        f"python  : {m['python']} ({m['python_executable']}); pulumi {m['pulumi']}, "
        f"pulumi-cloudflare {m['pulumi_cloudflare']}, pulumi-aws {m['pulumi_aws']}, "
        f"pydantic {m['pydantic']}, PyYAML {m['PyYAML']}",
        f"tree    : {results['tree']}",
        f"runs    : commands: median of {results['runs']} fresh subprocesses each, run round-robin "
        "after one discarded warm-up round; wall time",
    ]
    if m["pythondontwritebytecode"]:
        lines.append(
            "note    : PYTHONDONTWRITEBYTECODE is set: the project's own modules are compiled "
            "on every run (site-packages keep their installed .pyc)"
        )
    lines += [
        "",
        *report_show(results.get("show")),
        "",
        *report_diff(results.get("diff"), show_reference(results)),
    ]
    lines += ["", *report_synthetic(results.get("synthetic"))]
    lines += ["", f"total benchmark time: {results['seconds']:.0f} s"]
    return "\n".join(lines) + "\n"


def report_show(show: dict[str, Any] | None) -> list[str]:
    lines = ["1. plan show (fresh process) vs the import floor (fresh process, imports only)"]
    if show is None:
        return [*lines, "  skipped"]
    floor = show["floor"]
    rows = [["", "median", "min", "max", "runs"], seconds_row("import floor", floor)]
    rows += [seconds_row(f"plan show {s}", t) for s, t in show["shows"].items()]
    lines += table(rows)
    lines.append("  floor = " + "; ".join(IMPORT_FLOOR.splitlines()))
    summaries = [t.get("summary", "") for t in show["shows"].values() if t.get("summary")]
    if summaries:
        lines.append("  " + "; ".join(summaries))
    mods = show["modules"]
    if "error" not in mods:
        lines.append(
            f"  third-party modules loaded: plan show {mods['show']}, floor {mods['floor']}; "
            f"only by plan show: {', '.join(mods['show_only']) or 'none'}"
        )
    for stack, timed in show["shows"].items():
        if "error" in timed or "error" in floor:
            lines.append(f"  plan show {stack} / import floor: n/a")
            continue
        ratio = timed["median"] / floor["median"]
        lines.append(
            f"  plan show {stack} / import floor = {ratio:.2f}x   target <= {SHOW_VS_IMPORTS}x"
            f"   {verdict(ratio, SHOW_VS_IMPORTS)}   (+{timed['median'] - floor['median']:.2f} s;"
            f" min/min {timed['min'] / floor['min']:.2f}x)"
        )
    return lines


def show_reference(results: dict[str, Any]) -> dict[str, float]:
    """One `plan show`: the mean over stacks of the per-stack median (and min) run."""
    shows = (results.get("show") or {}).get("shows") or (results.get("diff") or {}).get("shows")
    timed = [t for t in (shows or {}).values() if "median" in t]
    if not shows or len(timed) != len(shows):
        return {}
    return {
        "median": statistics.mean(t["median"] for t in timed),
        "min": statistics.mean(t["min"] for t in timed),
    }


def report_diff(diff: dict[str, Any] | None, reference: dict[str, float]) -> list[str]:
    lines = [f"2. plan diff --base HEAD {' '.join(STACKS)} (fresh process) vs one plan show"]
    if diff is None:
        return [*lines, "  skipped"]
    if not diff["available"]:
        return [*lines, f"  not available: `python -m plan diff --help` failed ({diff['why']})"]
    lines.append(f"  run in {diff['tree']}")
    rows = [["", "median", "min", "max", "runs"], seconds_row("plan diff", diff)]
    lines += table(rows)
    show, show_min = reference.get("median"), reference.get("min")
    if "error" in diff or show is None:
        lines.append("  plan diff / plan show: n/a (diff or show failed)")
        return lines
    internal = diff.get("internal_timings", {})
    if internal:
        lines.append(
            "  the diff's own timings_seconds: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in internal.items())
        )
    ratio = diff["median"] / show
    lines.append(
        f"  plan diff / plan show = {ratio:.2f}x   target <= {DIFF_VS_SHOW}x   "
        f"{verdict(ratio, DIFF_VS_SHOW)}   (min/min {diff['min'] / show_min:.2f}x; plan show = "
        f"{show:.2f} s, the mean of the per-stack medians above)"
    )
    return lines


def report_synthetic(syn: dict[str, Any] | None) -> list[str]:
    lines = [
        "3. Marginal cost per resource: synthetic workers (Worker, WorkerVersion with KV and "
        "plain-text bindings, WorkersDeployment), in-process"
    ]
    if syn is None:
        return [*lines, "  skipped"]
    if "error" in syn:
        return [*lines, f"  {syn['error']}"]
    mg = marginal(syn["runs"])
    labels = {
        "program": "program: evaluate + render_show + to_json",
        "floor": "floor: Worker/version/deployment loop, plain MockMonitor",
        "floor_same_graph": "floor, same graph (component + its 3)",
    }
    rows = [
        [
            "workers",
            "side",
            "registered",
            "custom",
            "versions",
            "median",
            "runs",
            "ms/registered",
            "ms/worker",
        ]
    ]
    sizes = sorted(mg["program"], key=int)
    for n in sizes:
        for kind in ("program", "floor_same_graph", "floor"):
            r = mg[kind][n]
            rows.append(
                [
                    n,
                    labels[kind],
                    str(r["registered"]),
                    str(r["custom"]),
                    str(r["scripts"]),
                    f"{r['seconds']:.3f} s",
                    str(r["runs"]),
                    f"{r['ms_per_registered']:.2f}" if "ms_per_registered" in r else "baseline",
                    f"{r['ms_per_worker']:.2f}" if "ms_per_worker" in r else "",
                ]
            )
    lines += table(rows, left=2)
    lines.append(
        "  marginal = (median at N - median at 0 workers) / resources added; each side's own "
        "0-worker run is its baseline"
    )
    lines.append(
        "  the program registers 4 resources per worker (component + Worker, version, "
        "deployment), the plain floor 3: costs are normalised per registered resource"
    )
    sized = [n for n in sizes if n != "0"]
    lines.append(
        "  program split (median s): "
        + "; ".join(
            f"N={n}: evaluate {mg['program'][n]['evaluate']:.2f}, render_show "
            f"{mg['program'][n]['render_show']:.2f}, to_json {mg['program'][n]['to_json']:.2f}"
            for n in sized
        )
    )
    worst = None
    for n in sized:
        p = mg["program"][n]["ms_per_registered"]
        same = mg["floor_same_graph"][n]["ms_per_registered"]
        plain = mg["floor"][n]["ms_per_registered"]
        ratio = p / same
        worst = max(worst or ratio, ratio)
        fastest = (
            mg["program"][n]["ms_per_registered_min"]
            / mg["floor_same_graph"][n]["ms_per_registered_min"]
        )
        lines.append(
            f"  N={n}: program / same-graph floor per registered resource = {ratio:.2f}x"
            f"  (fastest runs: {fastest:.2f}x; vs plain floor: {p / plain:.2f}x)"
        )
    lines.append(
        f"  capture + rendering overhead (worst size, same registrations) = {worst:.2f}x   "
        f"target <= {CAPTURE_OVERHEAD}x   {verdict(worst, CAPTURE_OVERHEAD)}"
    )
    if len(sized) >= 2:
        lo, hi = sized[0], sized[-1]
        for kind, name in (
            ("program", "program"),
            ("floor_same_graph", "same-graph floor"),
            ("floor", "plain floor"),
        ):
            lin = mg[kind][hi]["ms_per_registered"] / mg[kind][lo]["ms_per_registered"]
            flag = "non-linear (> 1.5x)" if lin > NON_LINEAR else "linear (<= 1.5x)"
            tag = f"   {'PASS' if lin <= NON_LINEAR else 'MISS'}" if kind == "program" else ""
            lines.append(
                f"  linearity {name}: ms/registered at N={hi} / at N={lo} = {lin:.2f}x  {flag}"
                + tag
            )
    explain = syn.get("explain")
    if explain:
        lines += report_explain(explain)
    prof = syn.get("profile")
    if prof:
        lines.append(
            f"  cProfile at N={prof['workers']}, own time by package (s, profiled; main thread "
            "only; GC time lands on whatever allocates):"
        )
        areas = sorted(
            set(prof["program"]["areas"]) | set(prof["floor_same_graph"]["areas"]),
            key=lambda a: -prof["program"]["areas"].get(a, 0.0),
        )[:10]
        rows = [["package", "program", "same-graph floor"]]
        for area in areas:
            rows.append(
                [
                    area,
                    f"{prof['program']['areas'].get(area, 0.0):.2f}",
                    f"{prof['floor_same_graph']['areas'].get(area, 0.0):.2f}",
                ]
            )
        rows.append(
            ["total", f"{prof['program']['total']:.2f}", f"{prof['floor_same_graph']['total']:.2f}"]
        )
        lines += table(rows, indent="    ")
    return lines


EXPLAIN_LABELS = {
    "program": "program as is (capture + render_show + to_json)",
    "program_no_capture": "program, nothing recorded (no capture, nothing to render)",
    "floor_same_graph": "same-graph floor",
    "program_gc_off": "program as is, cyclic GC off",
    "floor_same_graph_gc_off": "same-graph floor, cyclic GC off",
}


def report_explain(explain: dict[str, Any]) -> list[str]:
    n = str(explain["workers"])
    mg = marginal(explain["runs"])
    floor = mg["floor_same_graph"][n]["ms_per_registered"]
    lines = [
        f"  where the program's extra cost goes (ablations at N={n}; diagnostic, not a target):"
    ]
    rows = [["variant", "registered", "median", "runs", "ms/registered", "vs same-graph floor"]]
    for kind, label in EXPLAIN_LABELS.items():
        r = mg[kind][n]
        rows.append(
            [
                label,
                str(r["registered"]),
                f"{r['seconds']:.3f} s",
                str(r["runs"]),
                f"{r['ms_per_registered']:.2f}",
                f"{r['ms_per_registered'] / floor:.2f}x",
            ]
        )
    lines += table(rows, indent="    ")
    as_is, bare = mg["program"][n]["ms_per_registered"], mg["program_no_capture"][n]
    lines.append(
        f"    of the program's {as_is / floor - 1:+.0%} over the floor: capture + rendering "
        f"{(as_is - bare['ms_per_registered']) / floor:+.0%}, the program's own work (stack file "
        f"read, validation, components) {bare['ms_per_registered'] / floor - 1:+.0%}"
    )
    return lines


# --- main -----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per command (median)")
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[100, 1000],
        help="synthetic worker counts (default: 100 1000)",
    )
    parser.add_argument("--full", action="store_true", help="add 5000 synthetic workers")
    parser.add_argument(
        "--repeats",
        type=int,
        default=7,
        help="at most this many synthetic rounds per size (default 7)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=40.0,
        help="no new synthetic round of a size once its rounds took this long (default 40 s)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also cProfile the synthetic program and floor at N workers",
    )
    parser.add_argument(
        "--explain",
        type=int,
        default=100,
        metavar="N",
        help="ablations at N workers (default 100; 0: skip): no capture, GC off",
    )
    parser.add_argument(
        "--skip",
        choices=("show", "diff", "synthetic"),
        action="append",
        default=[],
        help="skip a section (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument(
        "--report", type=Path, metavar="RESULTS.json", help="re-print the table of a saved run"
    )
    args = parser.parse_args(argv)
    if args.report:
        sys.stdout.write(report(json.loads(args.report.read_text())))
        return 0
    sizes = sorted(set(args.sizes + ([5000] if args.full else [])) - {0})

    started = time.perf_counter()
    results: dict[str, Any] = {
        "command": _invocation(argv),
        "machine": machine(),
        "load_before": load_average(),
        "runs": args.runs,
        "tree": git("log", "-1", "--format=%h %s")
        + (" (+ uncommitted changes)" if _program_changes() else " (clean outside bench/)"),
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        results.update(bench_commands(args.runs, work, args.skip))
        if "synthetic" not in args.skip:
            results["synthetic"] = bench_synthetic(
                sizes, args.repeats, args.budget, args.profile, args.explain
            )
    results["load_after"] = load_average()
    results["seconds"] = time.perf_counter() - started
    with tempfile.NamedTemporaryFile(
        "w", prefix="bench-results-", suffix=".json", delete=False
    ) as raw:
        json.dump(results, raw, indent=2)
    log(f"raw results: {raw.name}")
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report(results))
    return 0


def _invocation(argv: Sequence[str] | None) -> str:
    """The command line as typed (interpreter path relative to the working directory)."""
    if argv is not None:
        return shlex.join(["bench.run", *argv])
    words = list(getattr(sys, "orig_argv", [sys.executable, *sys.argv]))
    try:
        words[0] = os.path.relpath(words[0])
    except ValueError:
        pass
    return f"(cd {shlex.quote(os.getcwd())} && {shlex.join(words)})"


if __name__ == "__main__":
    sys.exit(main())
