#!/usr/bin/env bash
# The demo's topology as a test: two nodes in their own network namespaces
# on a bridge in a third, each running ipop-espd with the IPOP racoon.conf.
#
#   ipttest-a 192.168.1.100 --veth-- [ipttest-br in ipttest-sw] --veth-- ipttest-b 192.168.1.101
#
# Fails when IKE does not establish, the ping or the 10 MB TCP transfer does
# not go through intact, or any cleartext crosses the bridge. tools/demo.sh
# does the work, so the test and README command 1 cannot drift apart; the
# namespace prefix differs so that both can run at once.
#
# Usage: demo_test.sh BIN_DIR [demo.sh options...]
#   BIN_DIR contains ipop-espd and ipop-esp. The options, such as --prefix or
#   --address-a, go to tools/demo.sh after the defaults, so they win.
# Exits 77 (skipped) when it cannot run here: not root, or no TUN device.
set -euo pipefail

readonly skip=77
top="$(cd "$(dirname "$0")/../.." && pwd)"
bin_dir="${1:?usage: demo_test.sh BIN_DIR [demo.sh options...]}"
shift

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the namespace demo test needs root (run: sudo tools/test.sh)"
  exit "$skip"
fi
if [ ! -c /dev/net/tun ]; then
  echo "SKIP: /dev/net/tun is missing, so no TUN device can be created"
  exit "$skip"
fi
for tool in ip tcpdump openssl python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (run tools/install-deps.sh)"
    exit "$skip"
  fi
done

exec "$top/tools/demo.sh" --no-build --bin-dir "$bin_dir" --prefix ipttest "$@"
