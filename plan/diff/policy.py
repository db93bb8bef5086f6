"""The guard rails (stacks/guards/rules.py) of the working tree, run on its manifests.

Imported lazily, from the project being diffed: the rules may not exist yet in a tree. While they
run, the program packages (`stacks`, `components`) come from that project; afterwards the
caller's modules and import path are put back, as plan.engine does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from plan import checks
from plan.diff.model import Violation
from plan.engine import PROGRAM_PACKAGES
from plan.manifest import Manifest

CheckManifest = Callable[[Manifest], list]
RULES_FILE = Path("stacks", "guards", "rules.py")


@contextmanager
def policy_rules(project_dir: Path) -> Iterator[CheckManifest | None]:
    """The rules of `project_dir` over a manifest (with that project's stack files), or None
    while the rules module does not exist there."""
    if not (project_dir / RULES_FILE).is_file():
        yield None  # not written yet in this tree (never another tree's rules)
        return
    root = str(project_dir.resolve())
    saved = {n: m for n, m in sys.modules.items() if n.split(".")[0] in PROGRAM_PACKAGES}
    saved_path = list(sys.path)
    foreign = [n for n, m in saved.items() if not _file(m).startswith(root + "/")]
    for name in foreign:
        del sys.modules[name]
    sys.path.insert(0, root)
    try:
        guards = checks.Guards.imported()

        def check_manifest(manifest: Manifest) -> list:
            return checks.check_manifest(manifest, config_dir=project_dir, guards=guards)

        yield check_manifest
    finally:
        for name in [n for n in sys.modules if n.split(".")[0] in PROGRAM_PACKAGES]:
            del sys.modules[name]
        sys.modules.update(saved)
        sys.path[:] = saved_path


def check(rules: CheckManifest, manifest: Manifest) -> list[Violation]:
    found = [Violation(str(v.rule), str(v.urn), str(v.message)) for v in rules(manifest)]
    return sorted(found, key=lambda v: (v.rule, v.urn, v.message))


def _file(module: object) -> str:
    return getattr(module, "__file__", None) or ""
