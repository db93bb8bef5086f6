#!/usr/bin/env bash
# The drift job's verdict: a table in the job summary; exits 1 if either check found drift.
#   drift-summary.sh STACK PREVIEW_OUTCOME ORPHANS_OUTCOME ORPHANS_OUTPUT_FILE
set -euo pipefail
stack="$1" preview="$2" orphans="$3" orphans_file="$4"

verdict() {
  case "$1" in
    success) echo "no drift" ;;
    failure) echo "**$2**" ;;
    *) echo "not run ($1)" ;;
  esac
}
{
  echo "## Drift: \`$stack\`"
  echo
  echo "| check | result |"
  echo "| --- | --- |"
  echo "| \`pulumi preview --refresh --expect-no-changes\` | $(verdict "$preview" "changes or error: see the Pulumi output above") |"
  echo "| \`python -m plan drift $stack\` (Postmark, DNS) | $(verdict "$orphans" "drift or error: see below") |"
  if [ -s "$orphans_file" ]; then
    echo
    echo '```text'
    tail -n 100 "$orphans_file"
    echo '```'
  fi
  if [ "$preview" != success ] || [ "$orphans" != success ]; then
    echo
    echo "What to do: docs/runbook.md (drift): either change the code to match the cloud (PR), or re-run the deploy workflow (workflow_dispatch on main) to put the cloud back."
  fi
} >>"${GITHUB_STEP_SUMMARY:-/dev/stdout}"
if [ "$preview" != success ] || [ "$orphans" != success ]; then
  echo "::error::drift found on $stack (preview: $preview, plan drift: $orphans); see the job summary."
  exit 1
fi
