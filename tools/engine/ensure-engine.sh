#!/usr/bin/env bash
# Provide the Pulumi engine in .engine/bin of this checkout (idempotent, cached):
#   - a `pulumi` CLI >= 3.259.0 with its Python language host already on PATH is used as it is;
#   - otherwise the CLI is built once from its Go modules into the user's cache directory
#     ($PULUMI_POLICIES_ENGINE_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/pulumi_policies/engine/vX),
#     and this checkout's Python language host (tools/langhost, in Go) is built beside it, keyed by a hash
#     of its source, and started through the wrapper .engine/bin/pulumi-language-python.
# Usage: ensure-engine.sh [PYTHON]   (the project's virtualenv interpreter; the language host, in Go, needs none)
set -euo pipefail
version=3.259.0
here=$(cd "$(dirname "$0")/../.." && pwd)
out="$here/.engine/bin"
mkdir -p "$out"

version_ok() {  # is "$1 version" >= $version ?
  local v
  v=$("$1" version 2>/dev/null | sed 's/^v//; s/[-+].*//') || return 1
  [ -n "$v" ] && [ "$(printf '%s\n%s\n' "$version" "$v" | sort -V | head -n1)" = "$version" ]
}

link() { ln -sfn "$1" "$out/$2"; }

system_pulumi=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$out" | paste -sd: -) command -v pulumi || true)
system_host=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$out" | paste -sd: -) command -v pulumi-language-python || true)
if [ -n "$system_pulumi" ] && [ -n "$system_host" ] && version_ok "$system_pulumi"; then
  link "$system_pulumi" pulumi
  rm -f "$out/pulumi-language-python" "$out/pulumi-resource-pulumi-python"
  echo "engine: using $system_pulumi ($("$system_pulumi" version)) and its language host $system_host" >&2
  exit 0
fi

cache=${PULUMI_POLICIES_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi_policies/engine/v$version}
"$here/tools/engine/build-cli.sh" "$cache" "$version"
# A hard link (a copy across file systems), not a symlink: the CLI looks for its plugins next to
# its own resolved path first, and warns about each one it finds on PATH instead.
rm -f "$out/pulumi"; ln "$cache/bin/pulumi" "$out/pulumi" 2>/dev/null || cp "$cache/bin/pulumi" "$out/pulumi"
link "$cache/bin/pulumi-resource-pulumi-python" pulumi-resource-pulumi-python
src="$here/tools/langhost"
key=$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-16)
langhost="$cache/bin/pulumi-policies-langhost-$key"
if [ ! -x "$langhost" ]; then
  command -v go >/dev/null || { echo "error: Go is needed to build the language host (tools/langhost)" >&2; exit 1; }
  echo "==> building the language host (tools/langhost)" >&2
  (cd "$src" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly GOWORK=off \
     go build -trimpath -ldflags "-s -w" -o "$langhost.tmp.$$" .)
  mv "$langhost.tmp.$$" "$langhost"
fi
wrapper="#!/bin/sh
# This checkout's Python language host for the Pulumi engine (built from tools/langhost/main.go).
exec \"$langhost\" --runner \"$here/tools/langhost/run_program.py\" \"\$@\"
"
if [ "$(cat "$out/pulumi-language-python" 2>/dev/null)" != "${wrapper%$'\n'}" ]; then
  printf '%s' "$wrapper" > "$out/pulumi-language-python.tmp"
  chmod +x "$out/pulumi-language-python.tmp"
  mv "$out/pulumi-language-python.tmp" "$out/pulumi-language-python"
fi
echo "engine: $("$out/pulumi" version) from $cache, language host tools/langhost" >&2
