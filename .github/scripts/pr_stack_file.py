"""Take a pull request's stack file, and nothing else of it, into a checkout of its base.

    python .github/scripts/pr_stack_file.py HEAD_DIR STACK

The credentialed preview jobs run the base branch's program, policy pack and scripts (reviewed
code) with the pull request's `Pulumi.<STACK>.yaml` (data, validated by that program), so no
pull-request code ever runs beside a credential. A stack file is data only while it leaves the
providers alone: provider config (`cloudflare:baseUrl`, `aws:endpoints`, ...) could send the
job's read-only tokens elsewhere, and `secretsprovider`/`encryptionsalt` name the key that
decrypts. So every top-level key, and every config key outside `edge-platform:`, must equal the
base's; otherwise nothing is copied and the exit is 3 (the preview is skipped, the offline plan
diff still shows the change; the deploy's prod preview shows it after merge).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

PROJECT_NAMESPACE = "edge-platform:"


def guarded_differences(base: dict, head: dict) -> list[str]:
    """Keys a pull request may not change in a stack file, that it changed."""
    found = [
        key
        for key in sorted((base.keys() | head.keys()) - {"config"})
        if base.get(key) != head.get(key)
    ]
    base_config, head_config = base.get("config") or {}, head.get("config") or {}
    found += [
        f"config.{key}"
        for key in sorted(base_config.keys() | head_config.keys())
        if not key.startswith(PROJECT_NAMESPACE) and base_config.get(key) != head_config.get(key)
    ]
    return found


def main(head_dir: str, stack: str) -> int:
    name = f"Pulumi.{stack}.yaml"
    head_file, base_file = Path(head_dir) / name, Path(name)
    if not head_file.is_file():
        print(f"{name}: not in the pull request's head; previewing the base's")
        return 0
    # safe_load: data only, no tags that build objects.
    head = yaml.safe_load(head_file.read_text(encoding="utf-8")) or {}
    base = {}
    if base_file.is_file():
        base = yaml.safe_load(base_file.read_text(encoding="utf-8")) or {}
    changed = guarded_differences(base, head)
    if changed:
        print(
            f"{name}: the pull request changes {', '.join(changed)}, which only a merge may "
            "change (provider and secrets-provider settings); skipping the credentialed preview, "
            "see the offline plan diff"
        )
        return 3
    shutil.copyfile(head_file, base_file)
    print(f"{name}: the pull request's stack file, on the base branch's program")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
