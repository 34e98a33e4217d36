#!/usr/bin/env bash
# Builds bin/jaeger (Jaeger v2, an all-in-one collector + query + memory
# storage) from the separate tools module in tools/, so that the Jaeger
# dependency graph never enters the root module's.
#
#   scripts/build-tool.sh           # build bin/jaeger unless it is up to date
#   scripts/build-tool.sh -f        # build even if it is up to date
#
# bin/jaeger is up to date when it is newer than tools/go.mod and tools/go.sum.
# `go install github.com/jaegertracing/jaeger/cmd/jaeger@VERSION` does not
# work (Jaeger's go.mod has replace directives); the tools module does.
# Settings (environment): GO (default go).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GO="${GO:-go}"
OUT="$ROOT/bin/jaeger"
PKG=github.com/jaegertracing/jaeger/cmd/jaeger

say() { echo "build-tool.sh: $*" >&2; }

force=0
if [[ "${1:-}" == "-f" ]]; then force=1; fi

if [[ $force == 0 && -x "$OUT" && "$OUT" -nt "$ROOT/tools/go.mod" && "$OUT" -nt "$ROOT/tools/go.sum" ]]; then
	say "bin/jaeger is up to date"
	exit 0
fi

# The module version (v1.75.0) is Jaeger v2.x's Go module version; the
# binary reports the v2 release number.
modver="$(cd "$ROOT/tools" && "$GO" list -m -f '{{.Version}}' github.com/jaegertracing/jaeger)"
case "$modver" in
v1.75.0) v2=v2.12.0 ;;
*) v2="" ;;
esac
if [[ -n "$v2" ]]; then
	release="Jaeger $v2"
	# What `bin/jaeger version` and the UI report, as Jaeger's own build sets it.
	ldflags="-X github.com/jaegertracing/jaeger/internal/version.latestVersion=$v2"
else
	release="Jaeger (module $modver)"
	ldflags=""
fi

say "building $release into bin/jaeger (first build takes ~3 minutes)..."
mkdir -p "$ROOT/bin"
tmp="$OUT.tmp.$$"
start=$SECONDS
(cd "$ROOT/tools" && "$GO" build -trimpath -ldflags "$ldflags" -o "$tmp" "$PKG") &
pid=$!
# A ticker on stderr so a cold build does not look hung.
(
	while sleep 10; do
		echo "build-tool.sh: still building... $((SECONDS - start))s" >&2
	done
) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; rm -f "$tmp"' EXIT
rc=0
wait "$pid" || rc=$?
kill "$ticker" 2>/dev/null || true
wait "$ticker" 2>/dev/null || true
if [[ $rc != 0 ]]; then
	say "build failed (exit $rc)"
	exit "$rc"
fi
mv -f "$tmp" "$OUT"
trap - EXIT
say "built bin/jaeger in $((SECONDS - start))s"
