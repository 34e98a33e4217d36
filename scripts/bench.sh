#!/usr/bin/env bash
# Runs failhop's benchmarks against the peer libraries and prints benchstat
# tables, one column per library (lib=bare is the uninstrumented floor).
#
#   scripts/bench.sh [COUNT [SUITE...]]   # default COUNT=10 runs of each benchmark
#   scripts/bench.sh 10 pgx redis         # only these suites
#
# Suites: http (otelhttp), grpc (otelgrpc), sql (XSAM/otelsql), routers
# (otelchi, otelmux, otelgin, otelecho), pgx (otelpgx) and redis
# (redisotel); all by default. The pgx and redis
# suites run against the private servers of scripts/postgres.sh and
# scripts/redis.sh, which it starts.
#
# Raw results go to bench-out/ (not committed); copy the tables into
# docs/performance.md with the date and the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-10}"
shift || true
suites=("$@")
[[ ${#suites[@]} -gt 0 ]] || suites=(http grpc sql routers pgx redis)
out=bench-out
mkdir -p "$out"
benchstat=(go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da)

# run_suite runs one round of a suite's benchmarks, appending to its file.
run_suite() {
	case "$1" in
	http) (cd instrument && "../$out/instrument.test" -test.run '^$' -test.bench '^Benchmark(Handler|Transport)$' -test.benchmem) ;;
	grpc) (cd instrument/instrumentgrpc && "../../$out/instrumentgrpc.test" -test.run '^$' -test.bench '^BenchmarkUnary$' -test.benchmem) ;;
	sql) (cd integration && "../$out/integration.test" -test.run '^$' -test.bench '^BenchmarkSQL' -test.benchmem) ;;
	routers) (cd integration && "../$out/integration.test" -test.run '^$' -test.bench '^BenchmarkRouter$' -test.benchmem) ;;
	pgx) (cd integration && "../$out/integration.test" -test.run '^$' -test.bench '^BenchmarkPgx' -test.benchmem) ;;
	redis) (cd integration && "../$out/integration.test" -test.run '^$' -test.bench '^BenchmarkRedis' -test.benchmem) ;;
	*)
		echo "bench.sh: unknown suite $1 (http, grpc, sql, routers, pgx, redis)" >&2
		exit 2
		;;
	esac >>"$out/$1.txt"
}

# The test binaries are built once and run COUNT times, one run of every
# benchmark at a time, rather than with -count COUNT (which runs the COUNT
# runs of lib=bare, then those of the next library...): on a shared machine
# the load drifts, and interleaving spreads the drift over all libraries
# alike instead of favouring whichever ran in a quiet minute.
built_integration=
for s in "${suites[@]}"; do
	case "$s" in
	http) go test -c -o "$out/instrument.test" ./instrument ;;
	grpc) go test -c -o "$out/instrumentgrpc.test" ./instrument/instrumentgrpc ;;
	sql | routers | pgx | redis) if [[ -z "$built_integration" ]]; then
		(cd integration && go test -c -o "../$out/integration.test" .)
		built_integration=1
	fi ;;
	esac
	case "$s" in
	pgx) export FAILHOP_TEST_POSTGRES_DSN="$(scripts/postgres.sh)" ;;
	redis) export FAILHOP_TEST_REDIS_ADDR="$(scripts/redis.sh)" ;;
	esac
	: >"$out/$s.txt"
done
echo "bench.sh: ${suites[*]} benchmarks, $count rounds (all suites: about 8 minutes)..." >&2
for i in $(seq "$count"); do
	echo "bench.sh: round $i/$count" >&2
	for s in "${suites[@]}"; do
		run_suite "$s"
	done
done

for s in "${suites[@]}"; do
	echo
	echo "== $s (benchstat -col /lib) =="
	"${benchstat[@]}" -col /lib "$out/$s.txt"
done
