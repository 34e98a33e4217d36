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

have() { command -v prometheus >/dev/null && command -v promtool >/dev/null && command -v amtool >/dev/null; }

if [[ -z "${FAILHOP_PROMETHEUS:-}" ]] && ! have; then
	say "Prometheus missing: installing Debian's prometheus 2.42 and prometheus-alertmanager 0.25"
	if [[ "$(id -u)" != 0 ]]; then
		say "not root: run 'sudo apt-get install prometheus prometheus-alertmanager', or set FAILHOP_PROMETHEUS"
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	# Installed as packages only: policy-rc.d keeps their services stopped.
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d.failhop
	chmod +x /usr/sbin/policy-rc.d.failhop
	[[ -e /usr/sbin/policy-rc.d ]] || ln -s /usr/sbin/policy-rc.d.failhop /usr/sbin/policy-rc.d
	apt-get install -y --no-install-recommends 'prometheus=2.42.*' 'prometheus-alertmanager=0.25.*' >&2
	[[ "$(readlink /usr/sbin/policy-rc.d 2>/dev/null)" == /usr/sbin/policy-rc.d.failhop ]] && rm -f /usr/sbin/policy-rc.d
	rm -f /usr/sbin/policy-rc.d.failhop
	have || { say "no prometheus, promtool or amtool on PATH after the install"; exit 1; }
fi
bin="${FAILHOP_PROMETHEUS:-$(command -v prometheus)}"
say "using $("$bin" --version 2>&1 | head -n 1) ($bin)"
echo "$bin"
