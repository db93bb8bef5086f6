#!/usr/bin/env bash
# Worker bundles in CI (docs/ci.md, "Worker bundles"):
#   bundles.sh download    release BUNDLES_TAG (empty: the latest) of BUNDLES_REPO into bundles/,
#                          using GH_TOKEN; prints a markdown block (release, SHA-256 per file)
#   bundles.sh digest      the digest of bundles/: SHA-256 of its sorted `sha256sum` listing
#   bundles.sh verify D    fail unless the digest of bundles/ is D
set -euo pipefail
export LC_ALL=C # one file order everywhere
cd "$(dirname "$0")/../.."

listing() { (cd bundles && sha256sum -- *.js); }
digest() { listing | sha256sum | cut -d' ' -f1; }

case "${1:-}" in
  download)
    if [ -z "${BUNDLES_REPO:-}" ]; then
      echo "::error::vars.WORKER_BUNDLES_REPO is not set (docs/ci.md)."
      exit 1
    fi
    tag="${BUNDLES_TAG:-$(gh release view --repo "$BUNDLES_REPO" --json tagName --jq .tagName)}"
    mkdir -p bundles
    gh release download "$tag" --repo "$BUNDLES_REPO" --pattern '*.js' --dir bundles --clobber
    echo "### Worker bundles: \`$BUNDLES_REPO\` release \`$tag\`, digest \`$(digest)\`"
    echo
    echo '```text'
    listing
    echo '```'
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
    echo "usage: bundles.sh download | digest | verify DIGEST" >&2
    exit 2
    ;;
esac
