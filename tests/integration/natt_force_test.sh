#!/usr/bin/env bash
# `nat_traversal force` without a NAT: the demo's two nodes on a bridge,
# both configured with force, must float IKE to UDP 4500 and carry ESP in
# UDP (RFC 3948) although NAT detection finds no NAT. tools/demo.sh runs
# the ping, the 10 MB TCP transfer with SHA-256 comparison and its capture
# checks (no plain ESP, ESP in UDP present, no cleartext). This script then
# checks on the same capture that no UDP 500 packet crossed the switch after
# the first UDP 4500 packet, which is Main Mode message 5.
#
# Usage: natt_force_test.sh BIN_DIR
#   BIN_DIR contains ipop-espd and ipop-esp.
# Exits 77 (skipped) when it cannot run here: not root, no TUN device, or a
# missing tool.
set -euo pipefail

readonly skip=77
top="$(cd "$(dirname "$0")/../.." && pwd)"
bin_dir="${1:?usage: natt_force_test.sh BIN_DIR}"

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the namespace NAT-T test needs root (run: sudo tools/test.sh)"
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

log="$(mktemp /tmp/ipnd-force.XXXXXX.log)"
work=""
cleanup() {
  if [ -n "$work" ] && [ -d "$work" ]; then
    rm -rf "$work"
  fi
  rm -f "$log"
}
trap cleanup EXIT

status=0
"$top/tools/demo.sh" --no-build --bin-dir "$bin_dir" --prefix ipnd-force \
  --nat-traversal force --keep 2>&1 | tee "$log" || status=$?
work="$(sed -n 's/^demo: work directory kept: //p' "$log" | tail -n 1)"
if [ "$status" -ne 0 ]; then
  echo "natt_force_test: FAILED: the demo with nat_traversal force failed (status $status)" >&2
  exit 1
fi
[ -f "$work/switch.pcap" ] || { echo "natt_force_test: FAILED: no capture in $work" >&2; exit 1; }

fail() { echo "natt_force_test: FAILED: $*" >&2; exit 1; }

count() { tcpdump -r "$work/switch.pcap" -n "$1" 2>/dev/null | wc -l; }
# Packet numbers (1-based, in capture order) of the last UDP 500 packet and
# of the first UDP 4500 packet between the nodes.
last_500="$(tcpdump -r "$work/switch.pcap" -n -# 'ip and udp' 2>/dev/null |
  awk '/\.500 > .*\.500:/ { last = $1 } END { print last + 0 }')"
first_4500="$(tcpdump -r "$work/switch.pcap" -n -# 'ip and udp' 2>/dev/null |
  awk '/\.4500 > .*\.4500:/ && !first { first = $1 + 0 } END { if (first) print first }')"
ike_500="$(count 'udp port 500')"
echo "  UDP 500 packets: $ike_500, last at $last_500; first UDP 4500 packet at ${first_4500:-none}"
[ -n "$first_4500" ] || fail "no UDP 4500 packet crossed the switch"
[ "$ike_500" -ge 4 ] || fail "fewer than the four Main Mode messages 1-4 went over UDP 500"
[ "$last_500" -lt "$first_4500" ] || fail "UDP 500 was still used after the float to 4500"
echo "natt_force_test: PASSED"
