#!/usr/bin/env bash
# Builds bin/failhop-collector: an OpenTelemetry Collector with the
# components of collector/builder-config.yaml (OTLP, tail sampling, load
# balancing, file storage...) and failhop's own processor
# (collector/failhopprocessor), with the OpenTelemetry Collector Builder.
#
#   scripts/build-collector.sh
#
# The builder generates the distribution (main.go, components.go, go.mod)
# into collector/_build, which is not committed: a pure function of
# builder-config.yaml, regenerated every time (under a second). Then `go
# build` compiles it into bin/failhop-collector and decides itself what
# changed (the processor's packages, the analyzer, any module): from its
# cache, when nothing did, in about a second.
# Settings (environment): GO (default go).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GO="${GO:-go}"
OUT="$ROOT/bin/failhop-collector"
BUILDER=go.opentelemetry.io/collector/cmd/builder@v0.160.0

say() { echo "build-collector.sh: $*" >&2; }

mkdir -p "$ROOT/bin"
start=$SECONDS
# A ticker on stderr so a cold build does not look hung.
(
	while sleep 10; do
		echo "build-collector.sh: still building... $((SECONDS - start))s" >&2
	done
) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true' EXIT

say "generating the distribution into collector/_build ($BUILDER)..."
(cd "$ROOT/collector" && "$GO" run "$BUILDER" --config builder-config.yaml --skip-compilation >"$ROOT/collector/_build.log" 2>&1) || {
	rc=$?
	cat "$ROOT/collector/_build.log" >&2
	say "the builder failed (exit $rc)"
	exit "$rc"
}
say "compiling bin/failhop-collector (go build; the first build takes ~2-3 minutes)..."
rc=0
(cd "$ROOT/collector/_build" && "$GO" build -trimpath -ldflags "-s -w" -o "$OUT" .) || rc=$?
if [[ $rc != 0 ]]; then
	say "build failed (exit $rc)"
	exit "$rc"
fi
say "bin/failhop-collector ready in $((SECONDS - start))s"
