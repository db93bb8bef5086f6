"""A scratch copy of the project, and its stacks opened through the Automation API.

The copy holds exactly what git tracks (plus files not yet committed but not ignored), so a run
sees what a fresh clone sees; it is its own git repository, so a test can commit a change and
`git revert` it. `.venv` is linked, not copied: the program and its dynamic providers import the
pinned packages from it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pulumi import automation as auto

from tools.localcloud import engine
from tools.localcloud.cloud import LocalCloud
from tools.localcloud.facts import read_facts

STUB_BUNDLE = b"export default { async fetch() { return new Response('ok'); } };\n"


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={
            "GIT_AUTHOR_NAME": "edge",
            "GIT_AUTHOR_EMAIL": "edge@example.com",
            "GIT_COMMITTER_NAME": "edge",
            "GIT_COMMITTER_EMAIL": "edge@example.com",
            "PATH": "/usr/bin:/bin",
            "HOME": str(cwd),
        },
    )
    return result.stdout


def copy_project(dest: Path, source: Path = engine.PROJECT_DIR) -> Path:
    listed = git(source, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for rel in filter(None, listed.split("\0")):
        src = source / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    (dest / ".venv").symlink_to(source / ".venv")
    # The policy pack runs in its own virtualenv; the project's has the same pulumi-policy pin.
    if not (dest / "policy" / ".venv").exists():
        (dest / "policy" / ".venv").symlink_to(source / ".venv")
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "scratch copy of the project")
    return dest


def ensure_bundles(project_dir: Path, stack: str) -> list[str]:
    """Write a stub ES module for every declared bundle that is not built; returns their paths."""
    import yaml

    raw = yaml.safe_load((project_dir / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    workers = raw["config"]["edge-platform:platform"].get("workers") or {}
    written = []
    for worker in workers.values():
        bundle = worker["bundle"]
        # `bundle:` is a path, or a pin `{path, sha256}` (a pinned release asset is fetched by
        # its pin, never stubbed: a stub could not match it).
        relative = bundle if isinstance(bundle, str) else bundle.get("path")
        if relative is None or (isinstance(bundle, dict) and bundle.get("sha256")):
            continue
        path = project_dir / relative
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(STUB_BUNDLE)
            written.append(relative)
    return written


def workspace_options(cloud: LocalCloud, project_dir: Path) -> auto.LocalWorkspaceOptions:
    return auto.LocalWorkspaceOptions(
        work_dir=str(project_dir),
        pulumi_home=str(cloud.pulumi_home),
        env_vars=cloud.env(),
        pulumi_command=auto.PulumiCommand(root=str(engine.engine_root()), skip_version_check=True),
        secrets_provider="passphrase",
    )


def init_stack(
    cloud: LocalCloud, project_dir: Path, stack: str, secret_values: dict[str, str]
) -> auto.Stack:
    """`pulumi stack init` from the committed stack file; every secret set with --secret.

    secret_values: config key (no project prefix) -> value; every key the stack declares must
    be given. Provider config points at the emulators of `cloud`.
    """
    facts = read_facts(project_dir, stack)
    missing = sorted(set(facts.secret_config_keys) - set(secret_values))
    if missing:
        raise ValueError(f"no value for the secret config keys {missing} of stack {stack}")
    opened = auto.create_stack(
        stack, work_dir=str(project_dir), opts=workspace_options(cloud, project_dir)
    )
    config = {k: auto.ConfigValue(v, secret=s) for k, (v, s) in cloud.provider_config().items()}
    config.update(
        {f"edge-platform:{k}": auto.ConfigValue(v, secret=True) for k, v in secret_values.items()}
    )
    opened.set_all_config(config, path=True)
    return opened


def select_stack(cloud: LocalCloud, project_dir: Path, stack: str) -> auto.Stack:
    """The same stack opened anew (a fresh workspace: as a second CLI invocation would)."""
    return auto.select_stack(
        stack, work_dir=str(project_dir), opts=workspace_options(cloud, project_dir)
    )
