#!/usr/bin/env bash
# Prints the path of the Prometheus server that failhop's alerting tests
# and make demo run, installing Debian's prometheus (2.42: prometheus,
# promtool) and prometheus-alertmanager (0.25: amtool) first when they are
# absent. The package's own service is not started: the tests and the demo
# run their own Prometheus on loopback, with collector-config/prometheus.yml.
#
#   scripts/prometheus.sh          # install if needed, print the server's path
#
# FAILHOP_PROMETHEUS, when set, names the server binary to use instead.
set -euo pipefail

say() { echo "prometheus.sh: $*" >&2; }
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

have() { command -v prometheus >/dev/null && command -v promtool >/dev/null && command -v amtool >/dev/null; }

if [[ -z "${FAILHOP_PROMETHEUS:-}" ]] && ! have; then
	say "Prometheus missing: installing Debian's prometheus 2.42 and prometheus-alertmanager 0.25"
	apt_require_root "run 'sudo apt-get install prometheus prometheus-alertmanager', or set FAILHOP_PROMETHEUS"
	# Installed as packages only: their services stay stopped.
	apt_install_stopped --no-install-recommends 'prometheus=2.42.*' 'prometheus-alertmanager=0.25.*'
	have || { say "no prometheus, promtool or amtool on PATH after the install"; exit 1; }
fi
bin="${FAILHOP_PROMETHEUS:-$(command -v prometheus)}"
say "using $("$bin" --version 2>&1 | head -n 1) ($bin)"
echo "$bin"
