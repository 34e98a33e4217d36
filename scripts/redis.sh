#!/usr/bin/env bash
# Starts (or stops) a private Redis server for failhop's tests of
# instrument/instrumentredis, and prints its address on stdout.
#
#   scripts/redis.sh          # install if needed, start if needed, print host:port
#   scripts/redis.sh stop     # stop the server
#
#   export FAILHOP_TEST_REDIS_ADDR="$(scripts/redis.sh)"
#
# Idempotent: running it again while the server is up only prints the
# address. The server keeps nothing on disk (no RDB snapshots, no AOF) and
# listens on the loopback only. Settings (environment):
#   FAILHOP_REDIS_DIR   its directory: pid file, log (default /tmp/failhop-redis)
#   FAILHOP_REDIS_PORT  TCP port on 127.0.0.1     (default 63790)
set -euo pipefail

DIR="${FAILHOP_REDIS_DIR:-/tmp/failhop-redis}"
PORT="${FAILHOP_REDIS_PORT:-63790}"
ADDR="127.0.0.1:$PORT"
LOG="$DIR/redis.log"
PIDFILE="$DIR/redis.pid"

say() { echo "redis.sh: $*" >&2; }
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

# up says whether a Redis server answers on ADDR.
up() { [[ "$(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" == PONG ]]; }

if [[ "${1:-}" == "stop" ]]; then
	if command -v redis-cli >/dev/null && up; then
		say "stopping the server on $ADDR"
		redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
	else
		say "not running"
	fi
	exit 0
fi

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
	say "redis-server missing: installing Debian's redis-server package"
	apt_require_root "run 'sudo apt-get install redis-server', or set FAILHOP_TEST_REDIS_ADDR to a Redis server's host:port"
	apt_install --no-install-recommends redis-server
	if ! command -v redis-server >/dev/null; then
		say "no redis-server on PATH after install"
		exit 1
	fi
fi

if up; then
	say "already running on $ADDR"
else
	mkdir -p "$DIR"
	chmod 700 "$DIR"
	say "starting $(redis-server --version | cut -d' ' -f1-3) on $ADDR (log: $LOG)"
	redis-server --bind 127.0.0.1 --port "$PORT" --dir "$DIR" \
		--save "" --appendonly no \
		--daemonize yes --pidfile "$PIDFILE" --logfile "$LOG" >&2
	for _ in $(seq 50); do
		up && break
		sleep 0.2
	done
	if ! up; then
		say "start failed; last log lines:"
		tail -n 20 "$LOG" >&2 || true
		exit 1
	fi
fi

say "ready"
echo "$ADDR"
