"""The commit being deployed, for the annotations each new Worker version carries.

Read from git in the project directory (a CI checkout, a laptop, the plan's temporary worktree);
outside a git checkout there is none, and versions carry no annotations.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from components.cloudflare import Annotations

SHORT_SHA = 7
"""As GitHub shows a commit."""


def deploying_commit(project_dir: Path) -> Annotations | None:
    """`workers/tag` = HEAD's short SHA, `workers/message` = its subject (None outside git)."""
    try:
        result = subprocess.run(  # noqa: S603 (fixed arguments)
            ["git", "-C", str(project_dir), "log", "-1", "--format=%H%n%s"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = result.stdout.splitlines()
    if result.returncode != 0 or not lines:
        return None
    sha, subject = lines[0], (lines[1] if len(lines) > 1 else "")
    return Annotations(tag=sha[:SHORT_SHA], message=subject)
