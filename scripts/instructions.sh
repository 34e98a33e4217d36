#!/usr/bin/env bash
# Counts the instructions that one op of a benchmark costs, for each
# library of its lib=... sub-benchmarks, under valgrind's callgrind. Unlike
# ns/op, the count does not move with the machine's load: it varies by
# about half a percent between runs (the garbage collector's timing), so it
# can tell apart libraries whose times differ by less than the noise.
#
#   scripts/instructions.sh PACKAGE BENCHMARK LIB...
#   scripts/instructions.sh ./instrument Handler otelhttp failhop
#
# Each library's benchmark runs 5,000 and 45,000 ops, REPS times (default
# 3), in one thread (GOMAXPROCS=1: callgrind runs threads one at a time,
# and idle Ps would spin) without asynchronous preemption (its signals
# stop callgrind) and without RDTSCP (the runtime reads the clock with it
# when a lock is contended, and valgrind cannot run it: SIGILL); an op
# costs the difference over 40,000, which leaves out the start-up. Needs
# valgrind (Debian's package). See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ]; then
	echo "usage: scripts/instructions.sh PACKAGE BENCHMARK LIB..." >&2
	exit 2
fi
if ! command -v valgrind > /dev/null; then
	echo "instructions.sh: valgrind is not installed (apt-get install valgrind)" >&2
	exit 1
fi
pkg=$1 bench=$2
shift 2
reps="${REPS:-3}"
if ! [[ "$reps" =~ ^[0-9]*[13579]$ ]]; then
	echo "instructions.sh: REPS must be an odd number (the median of the runs is shown)" >&2
	exit 2
fi
mkdir -p bench-out
bin="$PWD/bench-out/$(basename "$pkg").test"
go test -c -o "$bin" "$pkg"

# quote NAME: NAME as a regular expression that matches only itself.
quote() { sed 's/[][\\.*+?^${}()|]/\\&/g' <<< "$1"; }

# count LIB N: the instructions of a run of N ops of lib=LIB. The run's
# output stays in bench-out/ for when it fails.
count() {
	local out="$PWD/bench-out/instructions-$1-$2"
	if ! (cd "$pkg" && GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$bin" -test.run '^$' -test.bench "^Benchmark$(quote "$bench")\$/^lib=$(quote "$1")\$" \
		-test.benchtime="$2x") > "$out.stdout" 2> "$out.stderr"; then
		echo "instructions.sh: Benchmark$bench/lib=$1 failed; its output:" >&2
		tail -n 20 "$out.stdout" "$out.stderr" >&2
		exit 1
	fi
	if ! grep -qF "Benchmark$bench/lib=$1" "$out.stdout"; then
		echo "instructions.sh: $pkg has no benchmark Benchmark$bench/lib=$1" >&2
		exit 1
	fi
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out.stderr"
}

echo "instructions.sh: Benchmark$bench, $reps runs of each library (about a minute each)..." >&2
base=
for lib in "$@"; do
	per=()
	for rep in $(seq "$reps"); do
		echo "instructions.sh: lib=$lib run $rep/$reps" >&2
		small=$(count "$lib" 5000)
		large=$(count "$lib" 45000)
		per+=($(((large - small) / 40000)))
	done
	median=$(printf '%s\n' "${per[@]}" | sort -n | sed -n "$(((reps + 1) / 2))p")
	base=${base:-$median}
	printf '%-12s %8d instructions/op (median; runs: %s)  %.3fx lib=%s\n' \
		"lib=$lib" "$median" "${per[*]}" "$(awk -v a="$median" -v b="$base" 'BEGIN { print a / b }')" "$1"
done
