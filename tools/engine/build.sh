#!/usr/bin/env bash
# Build the Pulumi CLI and the Python language host from the Go module proxy into .tools/bin,
# at the versions pinned in go.mod / python-host/go.mod, and install the two Python scripts the
# release ships beside them (taken from the downloaded sdk/v3 module, never committed).
# A compatible engine already on PATH (a laptop with Pulumi installed) is used instead.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$root/.tools/bin"
pinned() { (cd "$1" && GOFLAGS=-mod=mod go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3); }
stamp="$bin/.built-from"
want="$(cat "$here/go.mod" "$here/go.sum" "$here/python-host/go.mod" "$here/python-host/go.sum" | sha256sum | cut -c1-16)"

if [[ "${EDGE_ENGINE:-}" != "build" ]] && command -v pulumi >/dev/null \
  && command -v pulumi-language-python >/dev/null && [[ "$(command -v pulumi)" != "$bin/pulumi" ]]; then
  have="$(pulumi version)"
  if [[ "$(printf '%s\n' v3.272.0 "$have" | sort -V | head -1)" == v3.272.0 ]]; then
    echo "engine: using pulumi $have from PATH ($(command -v pulumi)); EDGE_ENGINE=build builds the pinned one"
    exit 0
  fi
  echo "engine: pulumi $have on PATH is older than 3.272.0; building the pinned one"
fi
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$bin/pulumi" ]]; then
  echo "engine: $bin is up to date ($("$bin/pulumi" version))"
  exit 0
fi

command -v go >/dev/null || { echo "engine: Go is needed to build the Pulumi CLI (https://go.dev/dl)" >&2; exit 2; }
mkdir -p "$bin"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly
build() {  # build <module dir> <version stamped into the binary> <package>
  (cd "$1" && go build -p "$(nproc)" -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$2" \
    -o "$bin/" "$3")
}
cli_version="$(pinned "$here")"
host_version="$(pinned "$here/python-host")"
echo "engine: building pulumi $cli_version (first build: a few minutes)"
build "$here" "$cli_version" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
echo "engine: building pulumi-language-python (against pkg $host_version)"
build "$here/python-host" "$host_version" github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3
sdk="$(cd "$here" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
install -m 755 "$sdk/python/cmd/pulumi-language-python-exec" "$sdk/python/dist/pulumi-resource-pulumi-python" "$bin/"
echo "$want" > "$stamp"
echo "engine: $("$bin/pulumi" version) in $bin"
