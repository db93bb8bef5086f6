"""`python -m plan wrangler-config STACK WORKER --outputs FILE`: a worker's wrangler.jsonc.

Names come from the stack's validated config, ids from its outputs file; nothing is deployed or
evaluated, and no secret value is read (secret config values stay encrypted in the stack file).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from plan.cli import Options, app, fail_config
from plan.stackfile import StackFileError, read_stack_config
from plan.wrangler_config import (
    SOURCES,
    OutputsError,
    UnknownWorkerError,
    WranglerConfig,
    build,
    find_worker,
    render_jsonc,
)
from stacks.errors import CONFIG_KEY, ConfigError
from stacks.loader import ConfigKey, LoadedPlatform, load


def load_platform(stack: str, project_dir: Path) -> LoadedPlatform:
    """The validated platform config of `stack`, read from `project_dir`/Pulumi.<stack>.yaml
    without running the program: secure values are neither decrypted nor needed, unbuilt bundles
    and secret config keys not set yet are accepted.

    Raises StackFileError or ConfigError.
    """
    config = read_stack_config(project_dir, stack)
    raw = config.values.get(CONFIG_KEY)
    platform = json.loads(raw) if raw is not None else None

    def config_key(key: str) -> ConfigKey:
        full = f"{config.project}:{key}"
        return ConfigKey(present=full in config.values, secret=full in config.secret_keys)

    return load(
        stack,
        platform,
        project_dir=project_dir,
        config_key=config_key,
        missing_bundles="unknown",
        missing_secrets="unknown",
        config_keys=config.values,
        platform_secret=CONFIG_KEY in config.secret_keys,
    )


def load_platform_or_exit(stack: str) -> LoadedPlatform:
    """load_platform of the `--config-dir` project; a bad stack file exits 2 with its problems."""
    try:
        return load_platform(stack, Options.config_dir)
    except (ConfigError, StackFileError) as err:
        fail_config(str(err))


@app.command("wrangler-config")
def wrangler_config(
    stack: Annotated[str, typer.Argument(help="Stack name: staging or prod.")],
    worker: Annotated[
        str,
        typer.Argument(
            help="Worker: its name in the config (e.g. bookmarks-mail-worker) or its script name."
        ),
    ],
    outputs: Annotated[
        Path,
        typer.Option(
            "--outputs",
            help="The stack's outputs, written by `pulumi stack output --json -s STACK > FILE`.",
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the file here instead of to stdout.")
    ] = None,
    main: Annotated[
        str | None,
        typer.Option(
            "--main",
            help="Entry module for wrangler (e.g. src/index.ts of the worker's source); default: "
            "the built bundle the stack uploads, run as is (no_bundle).",
        ),
    ] = None,
) -> None:
    """Print the wrangler.jsonc for `wrangler dev` of WORKER, with STACK's bindings and names."""
    loaded = load_platform_or_exit(stack)
    spec = loaded.spec
    export_hint = f"`pulumi stack output --json -s {stack} > {shlex.quote(str(outputs))}`"
    try:
        key = find_worker(spec, worker)
    except UnknownWorkerError as err:
        fail_config(str(err))
    stack_outputs = _read_outputs(outputs, export_hint)

    base = out.resolve().parent if out is not None else Path.cwd()
    bundle = loaded.bundles[key].path
    entry = main if main is not None else Path(os.path.relpath(bundle, base)).as_posix()
    try:
        result = build(spec, key, stack_outputs, main=entry, prebuilt=main is None)
    except OutputsError as err:
        problems = "\n".join(f"  - {p}" for p in err.problems)
        fail_config(
            f"outputs file {outputs} cannot configure worker '{key}' of stack '{stack}':\n"
            f"{problems}\nExport the stack's current outputs with {export_hint} "
            f"(after `pulumi up -s {stack}` if a resource is new)."
        )

    argv = ["python -m plan wrangler-config", stack, worker, "--outputs", str(outputs)]
    if main is not None:
        argv += ["--main", main]
    header = _header(
        result,
        stack=stack,
        command=" ".join(shlex.quote(a) if i else a for i, a in enumerate(argv)),
        outputs=outputs,
        bundle=spec.workers[key].bundle,
        main_module=spec.workers[key].main_module,
        main_given=main is not None,
        relative_to="this file's directory" if out is not None else "the current directory",
    )
    text = render_jsonc(result, header)
    if out is None:
        sys.stdout.write(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        typer.echo(f"wrote {out} (worker {result.config['name']}, stack {stack})", err=True)


def _read_outputs(path: Path, export_hint: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        fail_config(f"outputs file {path} does not exist; write it with {export_hint}")
    except (OSError, ValueError) as err:
        fail_config(
            f"outputs file {path} is not readable JSON ({err}); write it with {export_hint}"
        )
    if not isinstance(data, dict):
        fail_config(f"outputs file {path} must hold a JSON object; write it with {export_hint}")
    return data


def _header(
    result: WranglerConfig,
    *,
    stack: str,
    command: str,
    outputs: Path,
    bundle: str,
    main_module: str,
    main_given: bool,
    relative_to: str,
) -> list[str]:
    lines = [
        f"Generated by `{command}`.",
        "Do not edit by hand: change the stack config and generate it again.",
        f"Stack: {stack} (Pulumi.{stack}.yaml), worker '{result.worker}'. Names come from the "
        f"stack config, ids from the outputs file {outputs} (`pulumi stack output --json`).",
    ]
    if main_given:
        lines.append(f"main: given with --main; the stack deploys the bundle {bundle} instead.")
    else:
        lines.append(
            f"main: the built bundle the stack uploads ({bundle}, path relative to {relative_to}); "
            f"Cloudflare receives it as module '{main_module}' (mainModule). no_bundle: it is "
            "already bundled, so wrangler runs what the stack deploys. Pass --main to run the "
            "source instead."
        )
    if result.secret_text:
        names = ", ".join(f"{s.name} (stack config key {s.config_key})" for s in result.secret_text)
        lines.append(
            f"Not written, secret text: set with `wrangler secret put NAME` / .dev.vars: {names}."
        )
    lines.append("Wrangler field names as documented by Cloudflare:")
    lines.extend(f"  {source}" for source in SOURCES)
    return lines
