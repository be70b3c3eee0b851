#!/usr/bin/env bash
# Proves that protected traffic fails closed: with the kernel XFRM policies
# that FailClosedGuard installs, no cleartext leaves or enters the node while
# no SA exists, also after the installing process died without cleanup.
#
#   namespace ipguard-fa (node)                namespace ipguard-fb (peer)
#   10.91.0.1/24 ipguard-fva  <--- veth --->  ipguard-fvb 10.91.0.2/24
#   fail_closed_tool, then ipop-espd           tcpdump, unprotected pings
#
# Part 1 (fail_closed_tool): install the policy pair for 10.91.0.1 <->
# 10.91.0.2 and exit without cleanup, as a crash would. Then:
#   - pings from the node get no reply, and the peer captures no cleartext;
#   - unprotected pings from the peer are dropped by the node's inbound check;
#   - a UDP socket with the bypass policies still sends, one without does not;
#   - a raw ESP socket with the bypass policies receives ESP, one without
#     receives nothing.
# Part 2 (ipop-espd, when its path is given): start the daemon on the same
# selectors (it replaces the leftovers), flood pings at the peer, which runs
# no daemon so no SA ever forms, kill -9 the daemon in the middle, and check
# that the capture contains no cleartext from the node and that the policies
# outlive the daemon.
#
# Usage: fail_closed_test.sh TOOL [IPOP_ESPD]
# Needs root, ip, tcpdump and ping; exits 77 (skipped) without them.
set -euo pipefail

tool="${1:?usage: fail_closed_test.sh TOOL [IPOP_ESPD]}"
espd="${2:-}"

readonly ns_node="ipguard-fa" ns_peer="ipguard-fb"
readonly dev_node="ipguard-fva" dev_peer="ipguard-fvb"
readonly node="10.91.0.1" peer="10.91.0.2"

if [ "$(id -u)" -ne 0 ]; then
  echo "fail_closed_test: SKIPPED: needs root for network namespaces"
  exit 77
fi
for program in ip tcpdump ping openssl; do
  if ! command -v "$program" >/dev/null; then
    echo "fail_closed_test: SKIPPED: $program not found"
    exit 77
  fi
done
[ -x "$tool" ] || { echo "fail_closed_test: $tool not found; build ipop_fail_closed_tool" >&2; exit 1; }
if [ -n "$espd" ] && [ ! -x "$espd" ]; then
  echo "fail_closed_test: $espd not found; build ipop-espd first" >&2
  exit 1
fi

work="$(mktemp -d /tmp/ipguard.XXXXXX)"
pids=()

cleanup() {
  local status=$?
  set +e
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ "$status" -ne 0 ] && [ -f "$work/espd.log" ]; then
    echo "--- last lines of the daemon log" >&2
    tail -n 20 "$work/espd.log" >&2
  fi
  # Deleting a namespace also deletes its XFRM policies.
  ip netns del "$ns_node" 2>/dev/null
  ip netns del "$ns_peer" 2>/dev/null
  rm -rf "$work"
  [ "$status" -eq 0 ] && echo "fail_closed_test: PASSED"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs a command in a namespace. Background processes are started with
# `ip netns exec` directly instead, so that $! is the process itself (ip
# execs it) and not a subshell that a kill would miss.
at_node() { ip netns exec "$ns_node" "$@"; }
at_peer() { ip netns exec "$ns_peer" "$@"; }
step() { printf '== %s\n' "$*"; }
fail() { echo "fail_closed_test: FAILED: $*" >&2; exit 1; }

# Prints the value of one counter of /proc/net/xfrm_stat in the node.
xfrm_counter() { at_node awk -v name="$1" '$1 == name { print $2 }' /proc/net/xfrm_stat; }

# Prints how many policies in the node have an index in FailClosedGuard's
# range, 0x49500000 up to 0x49580000 (esp/xfrm/xfrm_guard.h). Socket
# policies also appear in the list, so the index is what tells ours apart.
guard_policy_count() {
  at_node ip -s xfrm policy list | awk '
    { for (i = 1; i < NF; i++) if ($i == "index" && $(i + 1) >= 1229979648 && $(i + 1) < 1230503936) n++ }
    END { print n + 0 }'
}

# Prints how many packets of capture $1 match tcpdump filter $2.
count_packets() { tcpdump -n -r "$1" "$2" 2>/dev/null | wc -l; }

# Prints the number of replies in ping's summary line.
ping_received() { sed -n 's/.* \([0-9]\+\) received.*/\1/p'; }

start_capture() {
  local file="$1"
  ip netns exec "$ns_peer" tcpdump -i "$dev_peer" -n -U -w "$file" ip >/dev/null 2>"$file.log" &
  pids+=($!)
  capture_pid=$!
  for _ in $(seq 50); do
    grep -q "listening on" "$file.log" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "tcpdump did not start: $(cat "$file.log")"
}

stop_capture() {
  sleep 0.5  # let the last packets reach the capture
  kill -TERM "$capture_pid"
  wait "$capture_pid" || true
}

# --- Topology --------------------------------------------------------------

step "Creating namespaces $ns_node and $ns_peer"
for ns in "$ns_node" "$ns_peer"; do
  if ip netns list | grep -qw "^$ns"; then
    fail "namespace $ns already exists; remove it with: ip netns del $ns"
  fi
done
ip netns add "$ns_node"
ip netns add "$ns_peer"
ip link add "$dev_node" netns "$ns_node" type veth peer name "$dev_peer" netns "$ns_peer"
ip -n "$ns_node" addr add "$node/24" dev "$dev_node"
ip -n "$ns_peer" addr add "$peer/24" dev "$dev_peer"
for ns in "$ns_node" "$ns_peer"; do
  ip -n "$ns" link set lo up
done
ip -n "$ns_node" link set "$dev_node" up
ip -n "$ns_peer" link set "$dev_peer" up

if ! at_node ip xfrm policy list >/dev/null 2>&1; then
  echo "fail_closed_test: SKIPPED: this kernel has no XFRM netlink"
  exit 77
fi
at_node ping -c 1 -W 2 "$peer" >/dev/null || fail "baseline ping without policies failed"

# --- Part 1: policies left by a process that exited without cleanup ------------

start_capture "$work/tool.pcap"

step "Installing the policy pair and exiting without cleanup"
at_node "$tool" install "$node/32" "$peer/32"
guard_policies="$(guard_policy_count)"
[ "$guard_policies" -eq 2 ] || fail "expected 2 kernel policies, found $guard_policies"

step "Pinging the peer from the node: no reply expected"
received="$(at_node ping -c 5 -i 0.2 -W 1 "$peer" | ping_received || true)"
[ "$received" = "0" ] || fail "the node received $received ping replies through a require policy"

step "Pinging the node from the peer without ESP: no reply expected"
mismatches_before="$(xfrm_counter XfrmInTmplMismatch)"
received="$(at_peer ping -c 5 -i 0.2 -W 1 "$node" | ping_received || true)"
[ "$received" = "0" ] || fail "the node answered $received unprotected pings"
mismatches_after="$(xfrm_counter XfrmInTmplMismatch)"
# The inbound check must drop them, not only the outbound policy the reply meets.
[ $((mismatches_after - mismatches_before)) -ge 5 ] ||
  fail "XfrmInTmplMismatch rose by $((mismatches_after - mismatches_before)), expected at least 5"

step "Sending UDP from sockets with and without the bypass policies"
at_node "$tool" udp-send "$node" "$peer" 4500
at_node "$tool" udp-send --no-bypass "$node" "$peer" 4501

step "Receiving ESP on raw sockets with and without the bypass policies"
for mode in bypass no-bypass; do
  flag=""
  [ "$mode" = "no-bypass" ] && flag="--no-bypass"
  ip netns exec "$ns_node" "$tool" esp-receive $flag 2 >"$work/esp-$mode.txt" &
  receiver=$!
  pids+=($receiver)
  for _ in $(seq 50); do
    grep -q ready "$work/esp-$mode.txt" && break
    sleep 0.1
  done
  at_peer "$tool" esp-send "$node" 5
  wait "$receiver" || fail "esp-receive ($mode) failed"
done
grep -qx "received 5" "$work/esp-bypass.txt" ||
  fail "raw ESP socket with bypass: $(tail -n 1 "$work/esp-bypass.txt"), expected 5"
grep -qx "received 0" "$work/esp-no-bypass.txt" ||
  fail "raw ESP socket without bypass: $(tail -n 1 "$work/esp-no-bypass.txt"), expected 0"

stop_capture
capture="$work/tool.pcap"
step "Checking the capture on the peer"
echo "  ICMP from the peer (sanity): $(count_packets "$capture" "icmp and src host $peer")"
[ "$(count_packets "$capture" "icmp and src host $peer")" -ge 5 ] ||
  fail "the capture misses the peer's own pings, so it proves nothing"
cleartext="$(count_packets "$capture" "src host $node and icmp")"
[ "$cleartext" -eq 0 ] || fail "$cleartext cleartext ICMP packets left the node"
bypassed="$(count_packets "$capture" "src host $node and udp dst port 4500")"
[ "$bypassed" -eq 1 ] || fail "expected the bypass socket's datagram, captured $bypassed"
blocked="$(count_packets "$capture" "src host $node and udp dst port 4501")"
[ "$blocked" -eq 0 ] || fail "a socket without bypass sent $blocked datagrams in clear"
other="$(count_packets "$capture" "src host $node and not (udp dst port 4500)")"
[ "$other" -eq 0 ] || fail "$other other packets left the node"

step "Removing the policies: pings work again"
at_node "$tool" remove
at_node ping -c 1 -W 2 "$peer" >/dev/null || fail "ping after removing the policies failed"

# --- Part 2: ipop-espd killed during a ping flood ------------------------------

if [ -z "$espd" ]; then
  echo "fail_closed_test: no ipop-espd given, daemon part not run"
  exit 0
fi

step "Leaving policies of a crashed run for the daemon to replace"
at_node "$tool" install "$node/32" "$peer/32"

step "Writing a certificate and the racoon.conf for the node"
mkdir -p "$work/certs"
openssl genrsa -out "$work/rootCA.key" 2048 2>/dev/null
openssl req -x509 -new -nodes -key "$work/rootCA.key" -days 2 -subj "/CN=ipguard test CA" \
  -out "$work/certs/rootCA.pem"
openssl genrsa -out "$work/certs/key.pem" 2048 2>/dev/null
openssl req -new -key "$work/certs/key.pem" -subj "/CN=$node" -out "$work/node.csr"
openssl x509 -req -in "$work/node.csr" -CA "$work/certs/rootCA.pem" -CAkey "$work/rootCA.key" \
  -CAcreateserial -days 2 -out "$work/certs/cert.pem" 2>/dev/null
cat >"$work/racoon.conf" <<EOF
path certificate "$work/certs";
listen {
    isakmp $node [500];
    isakmp_natt $node [4500];
}
remote anonymous {
    proposal {
        encryption_algorithm 3des;
        hash_algorithm sha1;
        authentication_method rsasig;
        dh_group modp1024;
    }
    certificate_type x509 "cert.pem" "key.pem";
    ca_type x509 "rootCA.pem";
    my_identifier asn1dn;
    verify_identifier off;
    exchange_mode main;
    nat_traversal on;
}
sainfo anonymous {
    authentication_algorithm hmac_sha1;
    compression_algorithm deflate;
    pfs_group modp1024;
    encryption_algorithm 3des;
}
EOF
cat >"$work/setkey.conf" <<EOF
spdadd $node/32 $peer/32 any -P out ipsec esp/transport//require;
spdadd $peer/32 $node/32 any -P in ipsec esp/transport//require;
EOF

start_capture "$work/daemon.pcap"

step "Starting ipop-espd in $ns_node"
ip netns exec "$ns_node" "$espd" -F -f "$work/racoon.conf" --setkey "$work/setkey.conf" \
  --control "$work/control.sock" >"$work/espd.log" 2>&1 &
espd_pid=$!
pids+=($espd_pid)
for _ in $(seq 100); do
  grep -q "kernel policies that keep protected traffic" "$work/espd.log" && break
  kill -0 "$espd_pid" 2>/dev/null || fail "ipop-espd exited at start"
  sleep 0.1
done
grep -q "kernel policies that keep protected traffic" "$work/espd.log" ||
  fail "ipop-espd did not report its fail-closed policies"
grep -q "replacing XFRM policy left by an earlier run" "$work/espd.log" ||
  fail "ipop-espd did not replace the leftover policies"

step "Flooding pings at the peer and killing ipop-espd with SIGKILL in the middle"
ip netns exec "$ns_node" ping -i 0.005 -c 600 -W 1 "$peer" >"$work/flood.txt" 2>&1 &
flood_pid=$!
pids+=($flood_pid)
sleep 1
kill -KILL "$espd_pid"
wait "$espd_pid" 2>/dev/null || true
echo "  ipop-espd (pid $espd_pid) killed"
at_peer ping -c 5 -i 0.2 -W 1 "$node" >/dev/null 2>&1 || true
wait "$flood_pid" || true
sent="$(sed -n 's/^\([0-9]\+\) packets transmitted.*/\1/p' "$work/flood.txt")"
echo "  the flood sent ${sent:-0} pings"
[ "${sent:-0}" -ge 300 ] || fail "the ping flood sent only ${sent:-0} packets: $(tail -n 2 "$work/flood.txt")"
received="$(ping_received <"$work/flood.txt")"
[ "$received" = "0" ] || fail "the flood got $received replies although no SA can exist"
kill -0 "$espd_pid" 2>/dev/null && fail "ipop-espd (pid $espd_pid) survived SIGKILL"

stop_capture
capture="$work/daemon.pcap"
step "Checking the capture and the policies after the crash"
[ "$(count_packets "$capture" "icmp and src host $peer")" -ge 5 ] ||
  fail "the capture misses the peer's own pings, so it proves nothing"
cleartext="$(count_packets "$capture" "src host $node and not (udp port 500 or udp port 4500) and not esp")"
echo "  packets from the node other than IKE and ESP: $cleartext"
[ "$cleartext" -eq 0 ] || fail "$cleartext cleartext packets left the node"
left="$(guard_policy_count)"
[ "$left" -eq 2 ] || fail "expected the 2 kernel policies to outlive the daemon, found $left"
