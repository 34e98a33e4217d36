#!/usr/bin/env bash
# Runs failhop's benchmarks against the peer libraries and prints benchstat
# tables, one column per library (lib=bare is the uninstrumented floor).
#
#   scripts/bench.sh [COUNT]      # default COUNT=10 runs of each benchmark
#
# Raw results go to bench-out/ (not committed); copy the tables into
# docs/performance.md with the date and the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-10}"
out=bench-out
mkdir -p "$out"
benchstat=(go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da)

echo "bench.sh: HTTP benchmarks, $count runs each (about a minute)..." >&2
go test -run '^$' -bench '^Benchmark(Handler|Transport)$' -benchmem -count "$count" ./instrument > "$out/http.txt"

echo "bench.sh: SQL benchmarks against XSAM/otelsql, $count runs each..." >&2
(cd integration && go test -run '^$' -bench '^BenchmarkSQL' -benchmem -count "$count" ./...) > "$out/sql.txt"

for f in http sql; do
	echo
	echo "== $f (benchstat -col /lib) =="
	"${benchstat[@]}" -col /lib "$out/$f.txt"
done
