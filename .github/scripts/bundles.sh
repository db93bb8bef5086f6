#!/usr/bin/env bash
# Worker bundles in CI (docs/ci.md, "Worker bundles"):
#   bundles.sh fetch S...  every release asset stacks S pin (`python -m plan bundles`), by its
#                          tag, from BUNDLES_REPO into bundles/<tag>/<asset> using GH_TOKEN; each
#                          is checked against its pinned SHA-256 and a mismatch fails the run;
#                          prints a markdown block (release, asset, SHA-256)
#   bundles.sh digest      the digest of bundles/: SHA-256 of its sorted `sha256sum` listing
#   bundles.sh verify D    fail unless the digest of bundles/ is D
# Nothing fetches "latest": the commit's pins are the deployment.
set -euo pipefail
export LC_ALL=C # one file order everywhere
cd "$(dirname "$0")/../.."

listing() { mkdir -p bundles && (cd bundles && find . -type f -print0 | sort -z | xargs -0 -r sha256sum); }
digest() { listing | sha256sum | cut -d' ' -f1; }

case "${1:-}" in
  fetch)
    shift
    [ "$#" -gt 0 ] || { echo "usage: bundles.sh fetch STACK..." >&2; exit 2; }
    pins="$(.venv/bin/python -m plan bundles "$@")"
    mkdir -p bundles
    printf '%s\n' "$pins" >bundles/PINS # what was fetched; part of the digest
    echo "### Worker bundles: release assets pinned by this commit"
    echo
    if [ -z "$pins" ]; then
      echo "No release pins: every bundle is a file of this commit."
      exit 0
    fi
    if [ -z "${BUNDLES_REPO:-}" ]; then
      echo "::error::the stacks pin release assets, but vars.WORKER_BUNDLES_REPO is not set (docs/ci.md)."
      exit 1
    fi
    echo '| release | asset | sha256 |'
    echo '|---|---|---|'
    while IFS=$'\t' read -r release asset sha256 file; do
      mkdir -p "$(dirname "$file")"
      gh release download "$release" --repo "$BUNDLES_REPO" --pattern "$asset" \
        --output "$file" --clobber >&2
      have="$(sha256sum -- "$file" | cut -d' ' -f1)"
      if [ "$have" != "$sha256" ]; then
        rm -f -- "$file"
        echo "::error::release $release asset $asset has SHA-256 ${have:0:12}…, but the stack file pins ${sha256:0:12}…; refusing it (was the tag moved?)."
        exit 1
      fi
      echo "| \`$release\` | \`$asset\` | \`$sha256\` |"
    done <<<"$pins"
    ;;
  digest)
    digest
    ;;
  verify)
    want="${2:?usage: bundles.sh verify DIGEST}"
    have="$(digest)"
    if [ "$have" != "$want" ]; then
      listing
      echo "::error::worker bundles have digest $have, but this run downloaded $want; refusing to use them."
      exit 1
    fi
    echo "worker bundles verified: digest $have"
    ;;
  *)
    echo "usage: bundles.sh fetch STACK... | digest | verify DIGEST" >&2
    exit 2
    ;;
esac
