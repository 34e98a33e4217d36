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

# The test binaries are built once and run COUNT times, one run of every
# benchmark at a time, rather than with -count COUNT (which runs the COUNT
# runs of lib=bare, then those of the next library...): on a shared machine
# the load drifts, and interleaving spreads the drift over all libraries
# alike instead of favouring whichever ran in a quiet minute.
go test -c -o "$out/instrument.test" ./instrument
go test -c -o "$out/instrumentgrpc.test" ./instrument/instrumentgrpc
(cd integration && go test -c -o "../$out/integration.test" .)
# The pgx and go-redis benchmarks run against the private servers.
export FAILHOP_TEST_POSTGRES_DSN="$(scripts/postgres.sh)"
export FAILHOP_TEST_REDIS_ADDR="$(scripts/redis.sh)"
: > "$out/http.txt"
: > "$out/sql.txt"
: > "$out/grpc.txt"
: > "$out/pgx.txt"
: > "$out/redis.txt"
echo "bench.sh: HTTP, gRPC, SQL (against XSAM/otelsql), pgx (otelpgx) and go-redis (redisotel) benchmarks, $count rounds (about 6 minutes)..." >&2
for i in $(seq "$count"); do
	echo "bench.sh: round $i/$count" >&2
	(cd instrument && "../$out/instrument.test" -test.run '^$' -test.bench '^Benchmark(Handler|Transport)$' -test.benchmem) >> "$out/http.txt"
	(cd instrument/instrumentgrpc && "../../$out/instrumentgrpc.test" -test.run '^$' -test.bench '^BenchmarkUnary$' -test.benchmem) >> "$out/grpc.txt"
	(cd integration && "../$out/integration.test" -test.run '^$' -test.bench '^BenchmarkSQL' -test.benchmem) >> "$out/sql.txt"
	(cd integration && "../$out/integration.test" -test.run '^$' -test.bench '^BenchmarkPgx' -test.benchmem) >> "$out/pgx.txt"
	(cd integration && "../$out/integration.test" -test.run '^$' -test.bench '^BenchmarkRedis' -test.benchmem) >> "$out/redis.txt"
done

for f in http grpc sql pgx redis; do
	echo
	echo "== $f (benchstat -col /lib) =="
	"${benchstat[@]}" -col /lib "$out/$f.txt"
done
