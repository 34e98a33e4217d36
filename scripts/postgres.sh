#!/usr/bin/env bash
# Starts (or stops) a private PostgreSQL cluster for failhop's integration
# tests, and prints its DSN on stdout.
#
#   scripts/postgres.sh          # install if needed, init if needed, start, print DSN
#   scripts/postgres.sh stop     # stop the cluster
#
#   export FAILHOP_TEST_POSTGRES_DSN="$(scripts/postgres.sh)"
#
# Idempotent: running it again while the cluster is up only prints the DSN.
# Settings (environment):
#   FAILHOP_PG_DIR   data and socket directory (default /tmp/failhop-pg)
#   FAILHOP_PG_PORT  TCP port on 127.0.0.1     (default 54329)
# The cluster has a password-protected role failhop/failhop-secret owning the
# database failhop. The tests check that this password is never recorded.
set -euo pipefail

PGDIR="${FAILHOP_PG_DIR:-/tmp/failhop-pg}"
PORT="${FAILHOP_PG_PORT:-54329}"
DATA="$PGDIR/data"
LOG="$PGDIR/postgres.log"
ROLE=failhop
PASSWORD=failhop-secret
DB=failhop
DSN="postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB?sslmode=disable"

say() { echo "postgres.sh: $*" >&2; }
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

# find_bin prints the directory of the newest installed PostgreSQL server.
find_bin() {
	local d
	d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
	if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
		echo "$d"
	fi
}

# as_postgres runs a command as the postgres OS user (the server refuses root).
as_postgres() {
	if [[ "$(id -u)" == 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

BIN="$(find_bin)"

if [[ "${1:-}" == "stop" ]]; then
	if [[ -n "$BIN" && -f "$DATA/postmaster.pid" ]]; then
		say "stopping the cluster in $DATA"
		as_postgres "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true
	else
		say "not running"
	fi
	exit 0
fi

if [[ -z "$BIN" ]]; then
	say "PostgreSQL server binaries missing: installing from Debian packages"
	apt_install postgresql
	BIN="$(find_bin)"
	if [[ -z "$BIN" ]]; then
		say "no PostgreSQL server under /usr/lib/postgresql after install"
		exit 1
	fi
fi
say "using $BIN"

if [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; then
	say "creating the postgres OS user"
	useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

mkdir -p "$PGDIR"
if [[ "$(id -u)" == 0 ]]; then
	chown postgres: "$PGDIR"
fi
chmod 700 "$PGDIR"

if [[ ! -f "$DATA/PG_VERSION" ]]; then
	say "initialising a cluster in $DATA"
	pwfile="$PGDIR/pwfile"
	# The superuser gets the same password; local socket connections trust.
	printf '%s\n' "$PASSWORD" >"$pwfile"
	[[ "$(id -u)" == 0 ]] && chown postgres: "$pwfile"
	as_postgres "$BIN/initdb" -D "$DATA" -U postgres --pwfile="$pwfile" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >&2 ||
		as_postgres "$BIN/initdb" -D "$DATA" -U postgres --pwfile="$pwfile" \
			--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C >&2
	rm -f "$pwfile"
fi

if as_postgres "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
	say "already running"
else
	# A stale pid file from a killed server would stop pg_ctl start.
	rm -f "$DATA/postmaster.pid"
	say "starting on 127.0.0.1:$PORT (log: $LOG)"
	as_postgres "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDIR" start >&2 || {
		say "start failed; last log lines:"
		tail -n 20 "$LOG" >&2 || true
		exit 1
	}
fi

psql_su() { as_postgres "$BIN/psql" -h "$PGDIR" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

if [[ "$(psql_su -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]]; then
	say "creating role $ROLE"
	psql_su -d postgres -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [[ "$(psql_su -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]]; then
	say "creating database $DB"
	psql_su -d postgres -c "CREATE DATABASE $DB OWNER $ROLE" >&2
fi

say "ready"
echo "$DSN"
