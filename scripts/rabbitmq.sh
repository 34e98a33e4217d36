#!/usr/bin/env bash
# Starts (or stops) a private RabbitMQ broker for failhop's messaging
# pipeline test (collector/pipelinetest, TestAMQP), and prints its AMQP URL
# on stdout.
#
#   scripts/rabbitmq.sh          # install if needed, start if needed, print the URL
#   scripts/rabbitmq.sh stop     # stop the broker
#
#   export FAILHOP_TEST_AMQP_URL="$(scripts/rabbitmq.sh)"
#
# Idempotent: running it again while the broker is up only prints the URL.
# The broker is Debian's rabbitmq-server 3.10 (the package's own service is
# not started), runs as its own Erlang node with its data, logs and cookie
# in its directory, no plugins, and listens on the loopback only, with the
# guest user. Settings (environment):
#   FAILHOP_RABBITMQ_DIR   its directory (default .cache/rabbitmq in the repository)
#   FAILHOP_RABBITMQ_PORT  AMQP port on 127.0.0.1 (default 61672; the Erlang
#                          distribution uses the next port, epmd the one after)
set -euo pipefail
cd "$(dirname "$0")/.."

DIR="${FAILHOP_RABBITMQ_DIR:-$PWD/.cache/rabbitmq}"
PORT="${FAILHOP_RABBITMQ_PORT:-61672}"
URL="amqp://guest:guest@127.0.0.1:$PORT"

# The broker's own environment: a node of its own, found through an epmd
# of its own, with a cookie in DIR.
export HOME="$DIR" RABBITMQ_NODENAME=failhop@localhost \
	RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$PORT" RABBITMQ_DIST_PORT=$((PORT + 1)) \
	ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=$((PORT + 2)) \
	RABBITMQ_MNESIA_BASE="$DIR/mnesia" RABBITMQ_LOG_BASE="$DIR/log" RABBITMQ_PID_FILE="$DIR/rabbitmq.pid" \
	RABBITMQ_ENABLED_PLUGINS_FILE="$DIR/enabled_plugins" RABBITMQ_CONFIG_FILE="$DIR/rabbitmq.conf" \
	RABBITMQ_ADVANCED_CONFIG_FILE="$DIR/advanced.config" RABBITMQ_CONF_ENV_FILE="$DIR/rabbitmq-env.conf" \
	RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"

# Debian's wrappers in /usr/sbin switch to the rabbitmq user with a
# fresh environment; the broker's own scripts take the settings above.
BIN=/usr/lib/rabbitmq/bin
ctl() { "$BIN/rabbitmqctl" -q -n "$RABBITMQ_NODENAME" "$@"; }

say() { echo "rabbitmq.sh: $*" >&2; }
source scripts/lib/apt.sh # the working directory is the repository's root (above)

# up says whether the broker answers.
up() { [[ -x "$BIN/rabbitmqctl" ]] && ctl await_startup --timeout 2 >/dev/null 2>&1; }

if [[ "${1:-}" == "stop" ]]; then
	if up; then
		say "stopping the broker on 127.0.0.1:$PORT"
		ctl stop "$RABBITMQ_PID_FILE" >&2 || true
	else
		say "not running"
	fi
	if command -v epmd >/dev/null; then
		epmd -kill >/dev/null 2>&1 || true
	fi
	exit 0
fi

if [[ ! -x "$BIN/rabbitmq-server" || ! -x "$BIN/rabbitmqctl" ]]; then
	say "rabbitmq-server missing: installing Debian's rabbitmq-server 3.10"
	apt_require_root "run 'sudo apt-get install rabbitmq-server', or set FAILHOP_TEST_AMQP_URL to a broker's AMQP URL"
	apt_install_stopped --no-install-recommends 'rabbitmq-server=3.10.*'
	[[ -x "$BIN/rabbitmq-server" ]] || { say "no $BIN/rabbitmq-server after install"; exit 1; }
fi

if up; then
	say "already running on 127.0.0.1:$PORT"
else
	mkdir -p "$DIR/log" "$DIR/mnesia"
	chmod 700 "$DIR"
	printf '[].\n' >"$DIR/enabled_plugins"
	printf '[].\n' >"$DIR/advanced.config"
	: >"$DIR/rabbitmq-env.conf"
	printf 'listeners.tcp.default = 127.0.0.1:%s\nloopback_users = none\n' "$PORT" >"$DIR/rabbitmq.conf"
	say "starting rabbitmq-server on 127.0.0.1:$PORT (logs: $DIR/log)"
	setsid "$BIN/rabbitmq-server" </dev/null >"$DIR/log/console.log" 2>&1 &
	if ! ctl wait --timeout 60 "$RABBITMQ_PID_FILE" >&2; then
		say "start failed; last log lines:"
		tail -n 20 "$DIR/log/console.log" >&2 || true
		exit 1
	fi
fi

say "ready"
echo "$URL"
