#!/usr/bin/env bash
# Build the Pulumi CLI from its Go modules (through the Go module proxy) into $1/bin.
# Idempotent: does nothing when $1/bin/pulumi already reports the wanted version.
set -euo pipefail
dest=${1:?usage: build-cli.sh DEST_DIR [VERSION]}
version=${2:-3.259.0}
bin="$dest/bin"
if [ -x "$bin/pulumi-resource-pulumi-python" ] && [ -x "$bin/pulumi" ] \
   && "$bin/pulumi" version 2>/dev/null | grep -qx "v$version"; then
  exit 0
fi
command -v go >/dev/null || { echo "error: Go is needed to build the Pulumi CLI v$version (or put pulumi >= $version and pulumi-language-python on PATH)" >&2; exit 1; }
mkdir -p "$bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
echo "==> building Pulumi CLI v$version from its Go modules (first time only: several minutes)" >&2
start=$(date +%s)
go mod init pulumi-cli-build >/dev/null 2>&1
go get "github.com/pulumi/pulumi/pkg/v3@v$version"
go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$version"
go build -trimpath -tags osusergo,grpcnotrace \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
  -o "$bin/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mv "$bin/pulumi.tmp" "$bin/pulumi"
# The dynamic-provider plugin ships in the sdk module under python/dist (read-only in the module cache).
sdkdir=$(go list -m -f '{{.Dir}}' "github.com/pulumi/pulumi/sdk/v3")
install -m 0755 "$sdkdir/python/dist/pulumi-resource-pulumi-python" "$bin/pulumi-resource-pulumi-python"
echo "==> built $("$bin/pulumi" version) in $(( $(date +%s) - start ))s" >&2
