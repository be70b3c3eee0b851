#!/usr/bin/env bash
# Two initiators that use the same Quick Mode message ID towards one
# responder, in network namespaces on a bridge:
#
#   iptmi-a 10.81.0.1 --+
#   iptmi-b 10.81.0.2 --+-- [iptmi-br in iptmi-sw]
#   iptmi-c 10.81.0.3 --+
#
# Nodes a and b start with IPOP_ESP_TEST_QUICK_MODE_MESSAGE_ID set to the
# same value and ping node c at the same moment. A Quick Mode is identified
# by its ISAKMP SA's cookies and its message ID, so c must complete both.
# The test checks that:
#   - c's debug log shows two Quick Modes with that ID,
#   - 10 more pings from each of a and b lose nothing,
#   - `ipop-esp sa` on c lists one SA pair per peer, with that peer's SPIs,
#   - a 1 MiB TCP transfer from each arrives with the same SHA-256,
#   - no cleartext ICMP crosses the bridge.
#
# Usage: same_message_id_test.sh BIN_DIR
#   BIN_DIR contains ipop-espd and ipop-esp.
# Exits 77 (skipped) when it cannot run here: not root, no TUN device, or a
# missing tool.
set -euo pipefail

readonly skip=77
bin_dir="${1:?usage: same_message_id_test.sh BIN_DIR}"
readonly prefix="iptmi"
# The ID both initiators use, as the daemon logs it (8 hex digits).
readonly message_id="5a5a0001"

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the namespace message ID test needs root (run: sudo tools/test.sh)"
  exit "$skip"
fi
if [ ! -c /dev/net/tun ]; then
  echo "SKIP: /dev/net/tun is missing, so no TUN device can be created"
  exit "$skip"
fi
for tool in ip ping tcpdump python3 sha256sum; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (run tools/install-deps.sh)"
    exit "$skip"
  fi
done

readonly espd="$bin_dir/ipop-espd" esp_cli="$bin_dir/ipop-esp"
readonly transfer="$(dirname "$0")/tcp_transfer.py"
declare -A address=([a]="10.81.0.1" [b]="10.81.0.2" [c]="10.81.0.3")
readonly ns_sw="$prefix-sw" bridge="$prefix-br" tun_name="${prefix}0"
readonly nodes="a b c" initiators="a b"
work="$(mktemp -d "/tmp/$prefix.XXXXXX")"
pids=()

step() { printf '\n== %s\n' "$*"; }
fail() { echo "same_message_id_test: FAILED: $*" >&2; exit 1; }

cleanup() {
  local status=$?
  set +e
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null
  done
  if [ "$status" -ne 0 ]; then
    for node in $nodes; do
      echo "--- last lines of node $node's daemon log" >&2
      tail -n 40 "$work/$node/daemon.log" >&2
    done
  fi
  for node in $nodes; do
    ip netns del "$prefix-$node" 2>/dev/null
  done
  ip netns del "$ns_sw" 2>/dev/null
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Topology and configuration -----------------------------------------------

step "Creating namespaces $prefix-a, $prefix-b, $prefix-c and switch $ns_sw"
for ns in "$prefix-a" "$prefix-b" "$prefix-c" "$ns_sw"; do
  if ip netns list | grep -qw "^$ns"; then
    fail "namespace $ns already exists; remove it with: ip netns del $ns"
  fi
done
ip netns add "$ns_sw"
ip -n "$ns_sw" link set lo up
ip -n "$ns_sw" link add "$bridge" type bridge
ip -n "$ns_sw" link set "$bridge" up
for node in $nodes; do
  ns="$prefix-$node"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$ns_sw" link add "$prefix-p$node" type veth peer name "$prefix-e$node" netns "$ns"
  ip -n "$ns_sw" link set "$prefix-p$node" master "$bridge" up
  ip -n "$ns" addr add "${address[$node]}/24" dev "$prefix-e$node"
  ip -n "$ns" link set "$prefix-e$node" up
done

# Pre-shared keys keep the test free of certificates: node c has one line
# per initiator, and each initiator has one for c.
for node in $nodes; do
  dir="$work/$node"
  mkdir -p "$dir"
  install -m 0600 /dev/null "$dir/psk.txt"
  if [ "$node" = c ]; then
    printf '%s same-id-key-a\n%s same-id-key-b\n' "${address[a]}" "${address[b]}" >"$dir/psk.txt"
  else
    echo "${address[c]} same-id-key-$node" >"$dir/psk.txt"
  fi
  cat >"$dir/racoon.conf" <<CONF
path pre_shared_key "$dir/psk.txt";
listen {
  isakmp ${address[$node]} [500];
  isakmp_natt ${address[$node]} [4500];
}
remote anonymous {
  exchange_mode main;
  lifetime time 10 min;
  proposal {
    encryption_algorithm aes 128;
    hash_algorithm sha1;
    authentication_method pre_shared_key;
    dh_group modp1024;
  }
}
sainfo anonymous {
  pfs_group modp1024;
  lifetime time 10 min;
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha1;
  compression_algorithm deflate;
}
CONF
  cat >"$dir/setkey.conf" <<CONF
spdadd 10.81.0.0/24 10.81.0.0/24 any -P out ipsec esp/transport//require;
spdadd 10.81.0.0/24 10.81.0.0/24 any -P in ipsec esp/transport//require;
CONF
done

# --- Daemons and capture ------------------------------------------------------

step "Starting tcpdump on the switch and ipop-espd (-d) on all nodes"
ip netns exec "$ns_sw" tcpdump -i any -n -U -w "$work/switch.pcap" 2>"$work/tcpdump.log" &
pids+=($!)
tcpdump_pid=$!
for _ in $(seq 50); do
  grep -q "listening on" "$work/tcpdump.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening on" "$work/tcpdump.log" || fail "tcpdump did not start: $(cat "$work/tcpdump.log")"

declare -A daemon_pid
for node in $nodes; do
  dir="$work/$node"
  hook=()
  if [ "$node" != c ]; then
    hook=(env "IPOP_ESP_TEST_QUICK_MODE_MESSAGE_ID=0x$message_id")
  fi
  ip netns exec "$prefix-$node" "${hook[@]}" "$espd" -F -d -f "$dir/racoon.conf" --setkey "$dir/setkey.conf" \
    --control "$dir/ipop-espd.sock" --tun "$tun_name" 2>"$dir/daemon.log" &
  pids+=($!)
  daemon_pid[$node]=$!
done
for node in $nodes; do
  for _ in $(seq 100); do
    [ -S "$work/$node/ipop-espd.sock" ] && break
    kill -0 "${daemon_pid[$node]}" 2>/dev/null || fail "ipop-espd on node $node exited during start"
    sleep 0.1
  done
  [ -S "$work/$node/ipop-espd.sock" ] || fail "ipop-espd on node $node did not open its control socket"
done
for node in $initiators; do
  grep -q "test hook: every Quick Mode uses message ID $message_id" "$work/$node/daemon.log" ||
    fail "node $node did not log the message ID test hook"
done
if grep -q "test hook" "$work/c/daemon.log"; then
  fail "node c logged the test hook although its environment does not set it"
fi

# Lines "PEER HEX-SPI" for the ESP SAs that `ipop-esp sa` on node $1 lists.
sas_of() {
  ip netns exec "$prefix-$1" "$esp_cli" --control "$work/$1/ipop-espd.sock" sa |
    awk '$1 ~ /^10\.81\.0\.[0-9]+$/ { print $1, $2 }' |
    sed -E 's/ [0-9]+\((0x[0-9a-f]{8})\)$/ \1/' | sort -u
}

# --- Quick Modes with the same message ID -------------------------------------

step "Nodes a and b ping node c at the same moment"
declare -A ping_pid
for node in $initiators; do
  ip netns exec "$prefix-$node" ping -n -q -c 10 -i 0.2 -w 30 "${address[c]}" >"$work/ping-$node.log" &
  ping_pid[$node]=$!
done
for node in $initiators; do
  wait "${ping_pid[$node]}" || true
done
for node in $initiators; do
  summary="$(grep 'packets transmitted' "$work/ping-$node.log" || true)"
  echo "  node $node: $summary"
done

step "Checking the Quick Modes in node c's log"
# Transition lines read "Quick Mode CKY-I:CKY-R:MESSAGE-ID OLD -> NEW".
sed -n "s/.*Quick Mode \([0-9a-f]\{16\}:[0-9a-f]\{16\}\):$message_id .* -> established$/\1/p" \
  "$work/c/daemon.log" | sort -u >"$work/c/same-id-sas.txt"
sed "s/^/  established with message ID $message_id on ISAKMP SA /" "$work/c/same-id-sas.txt"
[ "$(wc -l <"$work/c/same-id-sas.txt")" -eq 2 ] ||
  fail "node c did not establish two Quick Modes with message ID $message_id"
for node in $initiators; do
  grep -q "Quick Mode [0-9a-f:]*:$message_id .* -> established$" "$work/$node/daemon.log" ||
    fail "node $node did not establish a Quick Mode with message ID $message_id"
done

step "Checking that no ping was lost"
# The first ping may be dropped while the SAs are negotiated, so each node
# sends 10 more now.
for node in $initiators; do
  summary="$(ip netns exec "$prefix-$node" ping -n -q -c 10 -i 0.2 -w 20 "${address[c]}" |
    grep 'packets transmitted')" || true
  echo "  node $node: $summary"
  echo "$summary" | grep -q "^10 packets transmitted, 10 received" || fail "the ping from node $node lost packets"
done

step "Checking each peer's ESP SAs at node c"
sas_of c | sed "s/^/  node c: /"
for node in $initiators; do
  at_node="$(sas_of "$node" | awk -v c="${address[c]}" '$1 == c { print $2 }' | sort)"
  at_c="$(sas_of c | awk -v peer="${address[$node]}" '$1 == peer { print $2 }' | sort)"
  echo "  node $node lists: $(echo $at_node)"
  [ "$(echo "$at_node" | grep -c .)" -eq 2 ] || fail "node $node lists other than one SA pair with node c"
  [ "$at_node" = "$at_c" ] || fail "node c lists SPIs $(echo $at_c) for node $node, which lists $(echo $at_node)"
done
[ "$(sas_of c | wc -l)" -eq 4 ] || fail "node c lists other than two SA pairs"

step "Sending 1 MiB over TCP from nodes a and b to node c"
for node in $initiators; do
  port=$((5000 + $(printf '%d' "'$node")))
  head -c 1048576 /dev/urandom >"$work/sent-$node.bin"
  ip netns exec "$prefix-c" timeout 60 python3 "$transfer" receive "${address[c]}" "$port" \
    "$work/received-$node.bin" >"$work/receiver-$node.log" 2>&1 &
  receiver_pid=$!
  pids+=("$receiver_pid")
  for _ in $(seq 50); do
    grep -q listening "$work/receiver-$node.log" 2>/dev/null && break
    sleep 0.1
  done
  ip netns exec "$prefix-$node" timeout 60 python3 "$transfer" send "${address[c]}" "$port" "$work/sent-$node.bin" ||
    fail "TCP sender on node $node failed"
  wait "$receiver_pid" || fail "TCP receiver for node $node failed: $(cat "$work/receiver-$node.log")"
  sent_sum="$(sha256sum <"$work/sent-$node.bin" | cut -d' ' -f1)"
  received_sum="$(sha256sum <"$work/received-$node.bin" | cut -d' ' -f1)"
  echo "  node $node: sent sha256 $sent_sum, received $received_sum"
  [ "$sent_sum" = "$received_sum" ] || fail "SHA-256 of the data node c received from node $node differs"
done

step "Stopping the daemons and checking the capture"
for node in $nodes; do
  kill -TERM "${daemon_pid[$node]}"
  wait "${daemon_pid[$node]}" || fail "ipop-espd on node $node exited with status $?"
done
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
clear_icmp="$(tcpdump -r "$work/switch.pcap" -n "icmp and net 10.81.0.0/24" 2>/dev/null | wc -l)"
esp_packets="$(tcpdump -r "$work/switch.pcap" -n "esp and host ${address[c]}" 2>/dev/null | wc -l)"
echo "  ESP packets: $esp_packets, cleartext ICMP: $clear_icmp"
[ "$esp_packets" -gt 0 ] || fail "no ESP crossed the switch"
[ "$clear_icmp" -eq 0 ] || fail "cleartext ICMP crossed the switch"
echo "same_message_id_test: PASSED"
