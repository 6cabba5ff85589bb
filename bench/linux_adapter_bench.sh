#!/bin/sh
# Times the Linux adapter (create+start+stop of a VNET jail with limits) beside
# `runc run` and `crun run` of /bin/true on the same root file system, and
# prints median and p99 of each with the machine it ran on.
#
#   bench/linux_adapter_bench.sh [BUILD_DIR] [ITERATIONS]
#
# Needs root. Installs runc, crun and busybox-static with apt when missing.
# Results: a markdown table on stdout and BUILD_DIR/linux_adapter_bench.json.
set -eu
build=${1:-build}
iterations=${2:-200}
if [ "$(id -u)" != 0 ]; then
  echo "linux_adapter_bench.sh: run as root" >&2
  exit 2
fi
missing=""
for pkg in runc crun busybox-static iproute2; do
  dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  apt-get install -y -q $missing >&2
fi
cmake --build "$build" -j2 --target linux_adapter_bench >&2
exec "$build/bench/linux_adapter_bench" --iterations "$iterations" \
  --json "$build/linux_adapter_bench.json"
