#!/usr/bin/env bash
# Prints the path of the Chromium that failhop's browser tests drive
# (examples/cmd/demo: the page of `failhop serve`), installing Debian's
# chromium package first when none is there.
#
#   export FAILHOP_TEST_CHROMIUM="$(scripts/chromium.sh)"
#
# FAILHOP_TEST_CHROMIUM, when set, names the binary to use instead.
set -euo pipefail

say() { echo "chromium.sh: $*" >&2; }
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

bin="${FAILHOP_TEST_CHROMIUM:-$(command -v chromium || true)}"
if [[ -z "$bin" ]]; then
	say "Chromium missing: installing Debian's chromium package (about 100 MB)"
	apt_require_root "run 'sudo apt-get install chromium', or set FAILHOP_TEST_CHROMIUM to a Chromium binary"
	apt_install --no-install-recommends chromium
	bin="$(command -v chromium || true)"
	if [[ -z "$bin" ]]; then
		say "no chromium on PATH after install"
		exit 1
	fi
fi
say "using $("$bin" --version 2>/dev/null | head -n 1) ($bin)"
echo "$bin"
