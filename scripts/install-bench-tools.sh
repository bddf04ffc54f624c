#!/usr/bin/env bash
# install-bench-tools.sh installs wrk, from Debian's packages: the peer
# load generator `spoor bench api --generator wrk` drives, whose test runs
# in CI. It does nothing when wrk is already there.
set -euo pipefail

if ! command -v wrk >/dev/null; then
	apt-get update -qq && apt-get install -y -qq wrk
fi
