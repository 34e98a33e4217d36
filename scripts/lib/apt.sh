# Sourced by the scripts that install a Debian package failhop's tests need
# when it is absent (chromium.sh, postgres.sh, prometheus.sh, rabbitmq.sh,
# redis.sh).
# Each defines say (its messages on stderr, prefixed with its name) first.

# apt_require_root exits unless the script runs as root, with a hint of
# what to do instead.
apt_require_root() {
	if [[ "$(id -u)" != 0 ]]; then
		say "not root: $1"
		exit 1
	fi
}

# apt_install installs the packages with apt-get (arguments as apt-get
# install takes them), without questions, its output on stderr: stdout is
# the script's answer.
apt_install() {
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y "$@" >&2
}

# apt_install_stopped is apt_install for packages that ship a service: the
# services are installed, not started (policy-rc.d refuses them for the
# while).
apt_install_stopped() {
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d.failhop
	chmod +x /usr/sbin/policy-rc.d.failhop
	[[ -e /usr/sbin/policy-rc.d ]] || ln -s /usr/sbin/policy-rc.d.failhop /usr/sbin/policy-rc.d
	apt_install "$@"
	[[ "$(readlink /usr/sbin/policy-rc.d 2>/dev/null)" == /usr/sbin/policy-rc.d.failhop ]] && rm -f /usr/sbin/policy-rc.d
	rm -f /usr/sbin/policy-rc.d.failhop
}
