#!/usr/bin/env bash
# The Pulumi CLI in CI, on one stack (docs/ci.md). The backend is Pulumi Cloud when
# PULUMI_BACKEND_URL is empty (stack PULUMI_ORG/STACK; the token comes from pulumi/auth-actions),
# otherwise that URL (s3://...).
#   pulumi.sh STACK fingerprint        SHA-256 of the stack's state as `pulumi stack export`
#                                      gives it (secrets stay ciphertext); only the hash is printed
#   pulumi.sh STACK outputs            `pulumi stack output --json` (secret outputs stay "[secret]")
#   pulumi.sh STACK run TITLE ARGS...  `pulumi ARGS --stack ...`: the output goes to the log, to the
#                                      job summary under TITLE, and, cut to comment size, to
#                                      $RUNNER_TEMP/pulumi-STACK.md; exits with pulumi's exit code
set -euo pipefail
cd "$(dirname "$0")/../.."

usage="usage: pulumi.sh STACK fingerprint | pulumi.sh STACK outputs | pulumi.sh STACK run TITLE ARGS..."
stack="${1:?$usage}"
shift
if [ -n "${PULUMI_BACKEND_URL:-}" ]; then
  ref="$stack"
else
  unset PULUMI_BACKEND_URL
  ref="${PULUMI_ORG:?vars.PULUMI_ORG is not set (Pulumi Cloud backend)}/$stack"
fi

case "${1:-}" in
  fingerprint)
    pulumi stack export --stack "$ref" --non-interactive | sha256sum | cut -d' ' -f1
    ;;
  outputs)
    pulumi stack output --json --stack "$ref" --non-interactive
    ;;
  run)
    title="${2:?$usage}"
    shift 2
    out="${RUNNER_TEMP:-/tmp}/pulumi-$stack"
    set +e
    pulumi "$@" --stack "$ref" --non-interactive --color never --suppress-progress 2>&1 | tee "$out.txt"
    rc=${PIPESTATUS[0]}
    set -e
    {
      echo "<!-- edge-platform:pulumi:$stack -->"
      echo "### $title"
      echo
      echo "Commit \`$(git rev-parse HEAD)\`, stack \`$ref\`: exit code $rc."
      echo
      echo '~~~text'
      cat "$out.txt"
      echo '~~~'
    } >"$out.full.md"
    # A step summary is capped at 1 MiB and a comment at 65536 characters.
    head -c 1000000 "$out.full.md" >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
    if [ "$(wc -c <"$out.full.md")" -gt 60000 ]; then
      head -c 60000 "$out.full.md" >"$out.md"
      printf '\n~~~\n\n> Truncated: the full output is in the job summary of this run.\n' >>"$out.md"
    else
      cp "$out.full.md" "$out.md"
    fi
    exit "$rc"
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
