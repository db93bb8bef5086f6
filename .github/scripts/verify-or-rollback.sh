#!/usr/bin/env bash
# After `pulumi up` of STACK: the smoke checks the stack file declares (`python -m plan verify`),
# each version of a split deployment checked on its own. If a check fails while a candidate
# version takes traffic, roll back at once: drop the candidates from the checked-out stack file
# and `pulumi up` again (the deployment returns to 100% of the stable versions, which are
# uploaded already), then fail the run naming the failing checks. main still holds the
# candidate: revert its pull request (docs/runbook.md).
#   verify-or-rollback.sh STACK     needs WORKER_URLS (space-separated WORKER=URL) and the
#                                   credentials of the `pulumi up` before it
set -euo pipefail
cd "$(dirname "$0")/../.."

stack="${1:?usage: verify-or-rollback.sh STACK}"
args=()
for pair in ${WORKER_URLS:?vars.WORKER_URLS is not set}; do args+=(--base-url "$pair"); done
tmp="${RUNNER_TEMP:-/tmp}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
.github/scripts/pulumi.sh "$stack" outputs >"$tmp/outputs-$stack.json"

set +e
.venv/bin/python -m plan verify "$stack" "${args[@]}" --outputs "$tmp/outputs-$stack.json" \
  | tee "$tmp/verify-$stack.txt"
rc=${PIPESTATUS[0]}
set -e
{
  echo "### Smoke checks ($stack)"
  echo '~~~text'
  cat "$tmp/verify-$stack.txt"
  echo '~~~'
} >>"$summary"
if [ "$rc" -ne 1 ]; then
  exit "$rc" # 0: all passed; 2: a usage or config error, already explained
fi

failed="$(sed -n 's/^FAILED //p' "$tmp/verify-$stack.txt" | paste -sd ';' -)"
.venv/bin/python -m plan rollback-candidates "$stack" | tee -a "$summary"
if git diff --quiet -- "Pulumi.$stack.yaml"; then
  echo "::error::$stack: smoke check failed: $failed. No candidate takes traffic, so there is nothing to roll back automatically: revert the commit (docs/runbook.md)."
  exit 1
fi
.github/scripts/pulumi.sh "$stack" run "pulumi up ($stack): automatic rollback to the stable versions" \
  up --yes --diff --policy-pack policy --message "rollback of $(git rev-parse --short HEAD): smoke check failed"
echo "::error::$stack: smoke check failed: $failed. Rolled back: every worker serves 100% of its stable version again. Revert the candidate's pull request so main matches what is deployed (docs/runbook.md)."
exit 1
