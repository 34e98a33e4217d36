#!/usr/bin/env bash
# Builds bin/failhop-collector: an OpenTelemetry Collector with the
# components of collector/builder-config.yaml (OTLP, tail sampling, load
# balancing, file storage...) and failhop's own processor
# (collector/failhopprocessor), with the OpenTelemetry Collector Builder.
#
#   scripts/build-collector.sh       # build unless bin/failhop-collector is up to date
#   scripts/build-collector.sh -f    # build even if it is up to date
#
# bin/failhop-collector is up to date when it is newer than every file of
# collector/ (but collector/_build), analyzer/*.go, go.mod and go.sum.
# The builder generates the distribution (main.go, components.go, go.mod)
# into collector/_build, which is not committed; this script then compiles
# it to a temporary file and moves it into place.
# Settings (environment): GO (default go).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GO="${GO:-go}"
OUT="$ROOT/bin/failhop-collector"
BUILDER=go.opentelemetry.io/collector/cmd/builder@v0.160.0

say() { echo "build-collector.sh: $*" >&2; }

force=0
if [[ "${1:-}" == "-f" ]]; then force=1; fi

if [[ $force == 0 && -x "$OUT" ]]; then
	newer="$(cd "$ROOT" && find collector -path collector/_build -prune -o -path collector/pipelinetest/testdata -prune -o -type f -newer "$OUT" -print | head -n 1)"
	if [[ -z "$newer" ]]; then
		newer="$(cd "$ROOT" && find analyzer -maxdepth 1 -name '*.go' -newer "$OUT" | head -n 1)"
	fi
	for f in go.mod go.sum; do
		if [[ -z "$newer" && "$ROOT/$f" -nt "$OUT" ]]; then newer="$f"; fi
	done
	if [[ -z "$newer" ]]; then
		say "bin/failhop-collector is up to date"
		exit 0
	fi
	say "$newer changed"
fi

mkdir -p "$ROOT/bin"
tmp="$OUT.tmp.$$"
start=$SECONDS
# A ticker on stderr so a cold build does not look hung.
(
	while sleep 10; do
		echo "build-collector.sh: still building... $((SECONDS - start))s" >&2
	done
) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true; rm -f "$tmp"' EXIT

say "generating the distribution into collector/_build ($BUILDER)..."
(cd "$ROOT/collector" && "$GO" run "$BUILDER" --config builder-config.yaml --skip-compilation >"$ROOT/collector/_build.log" 2>&1) || {
	rc=$?
	cat "$ROOT/collector/_build.log" >&2
	say "the builder failed (exit $rc)"
	exit "$rc"
}
say "compiling bin/failhop-collector (first build takes ~2-3 minutes)..."
rc=0
(cd "$ROOT/collector/_build" && "$GO" build -trimpath -ldflags "-s -w" -o "$tmp" .) || rc=$?
if [[ $rc != 0 ]]; then
	say "build failed (exit $rc)"
	exit "$rc"
fi
mv -f "$tmp" "$OUT"
kill "$ticker" 2>/dev/null || true
wait "$ticker" 2>/dev/null || true
trap - EXIT
say "built bin/failhop-collector in $((SECONDS - start))s"
