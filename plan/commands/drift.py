"""`python -m plan drift STACK`: Postmark servers that match the stack's prefix but that no stack
of this repository declares (orphans).

A server's name is `{prefix}-{env}-{slug}` (stacks.naming.postmark_server_name). The declared
names are those of every stack in the repository whose `mail` uses the same prefix, so that the
staging check never reports prod's server. Exit codes: 0 no orphans (or no `mail`), 1 orphans
found, 2 config error, missing POSTMARK_ACCOUNT_TOKEN or Postmark API error.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from components.mail.postmark import inventory
from components.mail.postmark.errors import (
    ACCOUNT_TOKEN_ENV,
    MissingCredentialsError,
    PostmarkError,
)
from plan.cli import EXIT_CONFIG_ERROR, Options, app
from plan.commands.wrangler import load_platform
from plan.stackfile import StackFileError, available_stacks
from stacks.errors import ConfigError
from stacks.naming import postmark_server_name

EXIT_ORPHANS = 1
RULE = "{prefix}-{env}-{slug}"
RULE_EXPLAINED = f"{RULE}, slug = the sending domain's labels reversed, TLD dropped"
SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
WHAT_TO_DO = (
    "What to do: declare the server's sending domain in a stack's `mail` and adopt the server "
    "(docs/runbook.md, section 2), or delete it in Postmark after checking that nothing sends "
    "through it."
)


@app.command("drift")
def drift(stack: Annotated[str, typer.Argument(help="Stack name: staging or prod.")]) -> None:
    """Postmark orphan check: servers named after STACK's prefix that no stack declares."""
    try:
        mail = load_platform(stack, Options.config_dir).spec.mail
    except (ConfigError, StackFileError) as err:
        _fail(stack, str(err))
    if mail is None:
        message = (
            f"stack '{stack}' declares no `mail`: it owns no Postmark server, nothing to check."
        )
        typer.echo(message)
        _summary(stack, message)
        return

    prefix = mail.server_prefix
    declared = _declared_servers(prefix, stack)
    try:
        servers = inventory.list_servers()
    except MissingCredentialsError:
        _fail(
            stack,
            f"{ACCOUNT_TOKEN_ENV} is not set: export it with a Postmark account API token "
            "(Postmark > Account > API Tokens) to list the account's servers.",
        )
    except PostmarkError as err:
        _fail(stack, f"listing the Postmark account's servers failed: {err}")

    marker = f"{prefix}-"
    matching = [s for s in servers if s.name.startswith(marker)]
    orphans = inventory.find_orphan_servers(servers, prefix, set(declared))
    lines = [
        f"Postmark orphan check for stack '{stack}' (server prefix '{prefix}', rule "
        f"{RULE_EXPLAINED}).",
        "Declared by the stacks of this repository:",
        *(f"  - {name} (stack {declared[name]})" for name in sorted(declared)),
        f"Account servers named '{marker}...': {len(matching)} of {len(servers)}.",
    ]
    if not orphans:
        lines.append(f"No orphans: every server named '{marker}...' is declared.")
        typer.echo("\n".join(lines))
        _summary(stack, f"No orphans: every Postmark server named `{marker}...` is declared.")
        return

    lines.append(f"{len(orphans)} orphan(s): servers named '{marker}...' that no stack declares:")
    lines += [f"  - {s.name} (server id {s.id}): {_rule_match(s.name, prefix)}" for s in orphans]
    lines.append(WHAT_TO_DO)
    typer.echo("\n".join(lines))
    table = [
        f"{len(orphans)} Postmark server(s) named `{marker}...` that no stack declares:",
        "",
        "| server | id | naming rule it matches |",
        "| --- | --- | --- |",
        *(
            f"| `{_cell(s.name)}` | {_cell(s.id)} | {_cell(_rule_match(s.name, prefix))} |"
            for s in orphans
        ),
        "",
        WHAT_TO_DO,
    ]
    _summary(stack, "\n".join(table))
    raise typer.Exit(EXIT_ORPHANS)


def _declared_servers(prefix: str, stack: str) -> dict[str, str]:
    """Server name -> stack, for every stack of the repository whose mail uses `prefix`.

    Every stack must validate: skipping a broken one would report its server as an orphan, and
    an orphan report invites a deletion.
    """
    declared: dict[str, str] = {}
    for other in available_stacks(Options.config_dir):
        try:
            spec = load_platform(other, Options.config_dir).spec
        except (ConfigError, StackFileError) as err:
            _fail(
                stack,
                f"cannot tell which Postmark servers stack '{other}' declares:\n{err}",
            )
        if spec.mail is not None and spec.mail.server_prefix == prefix:
            name = postmark_server_name(prefix, spec.environment, spec.mail.sending_domain)
            declared[name] = other
    return declared


def _rule_match(name: str, prefix: str) -> str:
    match = re.fullmatch(rf"{re.escape(prefix)}-(staging|prod)-(.+)", name)
    if match:
        env, slug = match.groups()
        return f"{RULE} with prefix={prefix}, env={env}, slug={slug}"
    return f"prefix '{prefix}-' only; not {RULE} (env is staging or prod)"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (a server name may hold any character)."""
    return text.replace("|", "\\|").replace("\n", " ")


def _fail(stack: str, message: str) -> NoReturn:
    typer.echo(message, err=True)
    _summary(stack, f"**Error** (exit {EXIT_CONFIG_ERROR}):\n\n```text\n{message}\n```")
    raise typer.Exit(EXIT_CONFIG_ERROR)


def _summary(stack: str, body: str) -> None:
    """Append a Markdown section to the GitHub Actions job summary, when running there."""
    path = os.environ.get(SUMMARY_ENV)
    if not path:
        return
    with Path(path).open("a", encoding="utf-8") as summary:
        summary.write(f"### Postmark orphan check: `{stack}`\n\n{body}\n\n")
