"""The CrossGuard policy pack: `pulumi preview --policy-pack policy` (or `pulumi up ...`).

The Pulumi CLI runs this file in the pack's virtualenv (PulumiPolicy.yaml: policy/.venv, from
policy/requirements.txt). Constructing the PolicyPack starts the analyzer's gRPC server and blocks,
so nothing imports this module: tests exercise policy.crossguard directly, and run this file as
a subprocess the way the CLI does.
"""

import io
import os
import sys
from pathlib import Path

# pulumi_policy writes the analyzer's port to sys.stdout.buffer without a flush; the CLI reads
# it from a pipe, so unless PYTHONUNBUFFERED is set the port stays in the buffer and
# `pulumi preview --policy-pack` waits forever. Unbuffered stdout makes it reach the CLI.
sys.stdout = io.TextIOWrapper(os.fdopen(sys.stdout.fileno(), "wb", buffering=0), write_through=True)

# The rules live in the repository's packages (policy, stacks), one directory up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policy.crossguard import PACK_NAME, policies  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    description="Guard rails of the edge platform: the rules of stacks/guards/rules.py, which "
    "`python -m plan check` runs offline too.",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=policies(),
)
