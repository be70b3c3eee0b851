#!/usr/bin/env bash
# Phase 2 rekeying and simultaneous initiation between two daemons in
# network namespaces on a bridge:
#
#   PREFIX-a 10.78.0.1 --veth-- [PREFIX-br in PREFIX-sw] --veth-- PREFIX-b 10.78.0.2
#
# --mode rekey: with a phase 2 lifetime of 20 s, after a first ping has set
# up the SAs, a ping every 0.2 s runs for 70 s, across at least three
# rekeys (one about every 16 s). It
# must lose no packet, the daemons must log at least three new SA pairs,
# `ipop-esp sa` must show other SPIs at the end than at the start, and the
# old pairs must be gone.
#
# --mode simultaneous: both nodes ping each other at the same moment while
# neither has an SA. Both negotiations may complete. Afterwards each node
# keeps one pair and one established ISAKMP SA, the same ones as its peer
# (same SPIs, same cookies), and a ping every 0.2 s for 10 s loses nothing.
#
# In both modes no cleartext ICMP may cross the bridge.
#
# Usage: rekey_test.sh BIN_DIR --mode rekey|simultaneous
#   BIN_DIR contains ipop-espd and ipop-esp.
# Exits 77 (skipped) when it cannot run here: not root, no TUN device, or a
# missing tool.
set -euo pipefail

readonly skip=77
bin_dir="${1:?usage: rekey_test.sh BIN_DIR --mode rekey|simultaneous}"
shift
mode=""
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode="$2"; shift ;;
    *) echo "rekey_test: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
# The simultaneous mode uses a longer phase 2 lifetime, so that no rekey
# runs while it counts the pairs.
case "$mode" in
  rekey) prefix="iptrk"; phase2_lifetime=20 ;;
  simultaneous) prefix="iptrs"; phase2_lifetime=120 ;;
  *) echo "rekey_test: --mode must be rekey or simultaneous, not \"$mode\"" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the namespace rekey test needs root (run: sudo tools/test.sh)"
  exit "$skip"
fi
if [ ! -c /dev/net/tun ]; then
  echo "SKIP: /dev/net/tun is missing, so no TUN device can be created"
  exit "$skip"
fi
for tool in ip ping tcpdump; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (run tools/install-deps.sh)"
    exit "$skip"
  fi
done

readonly espd="$bin_dir/ipop-espd" esp_cli="$bin_dir/ipop-esp"
readonly address_a="10.78.0.1" address_b="10.78.0.2"
readonly ns_a="$prefix-a" ns_b="$prefix-b" ns_sw="$prefix-sw" bridge="$prefix-br"
readonly tun_name="${prefix}0"
work="$(mktemp -d "/tmp/$prefix.XXXXXX")"
pids=()

step() { printf '\n== %s\n' "$*"; }
fail() { echo "rekey_test: FAILED: $*" >&2; exit 1; }

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
    for node in a b; do
      echo "--- last lines of node $node's daemon log" >&2
      tail -n 40 "$work/$node/daemon.log" >&2
    done
  fi
  for ns in "$ns_a" "$ns_b" "$ns_sw"; do
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Topology and configuration -----------------------------------------------

step "Creating namespaces $ns_a, $ns_b and switch $ns_sw"
for ns in "$ns_a" "$ns_b" "$ns_sw"; do
  if ip netns list | grep -qw "^$ns"; then
    fail "namespace $ns already exists; remove it with: ip netns del $ns"
  fi
done
for ns in "$ns_a" "$ns_b" "$ns_sw"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
ip -n "$ns_sw" link add "$bridge" type bridge
ip -n "$ns_sw" link set "$bridge" up
for node in a b; do
  ns="$prefix-$node"
  address_var="address_$node"
  ip -n "$ns_sw" link add "$prefix-p$node" type veth peer name "$prefix-e$node" netns "$ns"
  ip -n "$ns_sw" link set "$prefix-p$node" master "$bridge" up
  ip -n "$ns" addr add "${!address_var}/24" dev "$prefix-e$node"
  ip -n "$ns" link set "$prefix-e$node" up
done

# Pre-shared keys keep the test free of certificates; the lifetimes are what
# it is about. proposal_check obey makes both sides use the initiator's
# lifetime whichever side initiates.
for node in a b; do
  dir="$work/$node"
  mkdir -p "$dir"
  address_var="address_$node"
  peer_var="address_$([ "$node" = a ] && echo b || echo a)"
  install -m 0600 /dev/null "$dir/psk.txt"
  echo "${!peer_var} rekey-test-key" >"$dir/psk.txt"
  cat >"$dir/racoon.conf" <<EOF
path pre_shared_key "$dir/psk.txt";
listen {
  isakmp ${!address_var} [500];
  isakmp_natt ${!address_var} [4500];
}
remote anonymous {
  exchange_mode main;
  proposal_check obey;
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
  lifetime time $phase2_lifetime sec;
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha1;
  compression_algorithm deflate;
}
EOF
  cat >"$dir/setkey.conf" <<EOF
spdadd 10.78.0.0/24 10.78.0.0/24 any -P out ipsec esp/transport//require;
spdadd 10.78.0.0/24 10.78.0.0/24 any -P in ipsec esp/transport//require;
EOF
done

# --- Daemons and capture ------------------------------------------------------

step "Starting tcpdump on the switch and ipop-espd on both nodes"
ip netns exec "$ns_sw" tcpdump -i any -n -U -w "$work/switch.pcap" 2>"$work/tcpdump.log" &
pids+=($!)
tcpdump_pid=$!
for _ in $(seq 50); do
  grep -q "listening on" "$work/tcpdump.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening on" "$work/tcpdump.log" || fail "tcpdump did not start: $(cat "$work/tcpdump.log")"

declare -A daemon_pid
for node in a b; do
  dir="$work/$node"
  ip netns exec "$prefix-$node" "$espd" -F -f "$dir/racoon.conf" --setkey "$dir/setkey.conf" \
    --control "$dir/ipop-espd.sock" --tun "$tun_name" 2>"$dir/daemon.log" &
  pids+=($!)
  daemon_pid[$node]=$!
done
for node in a b; do
  for _ in $(seq 100); do
    [ -S "$work/$node/ipop-espd.sock" ] && break
    kill -0 "${daemon_pid[$node]}" 2>/dev/null || fail "ipop-espd on node $node exited during start"
    sleep 0.1
  done
  [ -S "$work/$node/ipop-espd.sock" ] || fail "ipop-espd on node $node did not open its control socket"
done

# The cookie pairs (CKY-I:CKY-R) of node $1's ISAKMP SAs that `ipop-esp sa`
# lists, one per line, followed by the state column of the row.
isakmp_sas_of() {
  ip netns exec "$prefix-$1" "$esp_cli" --control "$work/$1/ipop-espd.sock" sa |
    grep -oE '[0-9a-f]{16}:[0-9a-f]{16} +(initiator|responder) +[a-zA-Z][^ ]*' |
    awk '{print $1, $3}' | sort
}

# The SPIs of node $1's ESP SAs as `ipop-esp sa` prints them, one per line.
spis_of() {
  ip netns exec "$prefix-$1" "$esp_cli" --control "$work/$1/ipop-espd.sock" sa |
    grep -o '(0x[0-9a-f]\{8\})' | tr -d '()' | sort -u
}

# Runs `ping -i 0.2` for $2 seconds from node $1 and fails on any loss.
ping_without_loss() {
  local node="$1" seconds="$2" target count summary
  target="$([ "$node" = a ] && echo "$address_b" || echo "$address_a")"
  count=$((seconds * 5))
  summary="$(ip netns exec "$prefix-$node" ping -n -q -i 0.2 -c "$count" -w $((seconds + 10)) "$target" |
    grep 'packets transmitted')" || true
  echo "  node $node: $summary"
  echo "$summary" | grep -q "^$count packets transmitted, $count received" ||
    fail "the ping from node $node lost packets: $summary"
}

if [ "$mode" = rekey ]; then
  step "Ping $address_a -> $address_b to set up the SAs"
  ip netns exec "$ns_a" ping -n -c 3 -i 0.5 -w 30 "$address_b" | sed "s/^/  /" ||
    fail "no reply to the first ping within 30 s"
  spis_before="$(spis_of a)"
  echo "  SPIs on node a: $(echo $spis_before)"

  step "Ping every 0.2 s for 70 s across the rekeys"
  ping_without_loss a 70
  spis_after="$(spis_of a)"
  echo "  SPIs on node a: $(echo $spis_after)"

  step "Checking the rekeys"
  for node in a b; do
    established="$(grep -c "IPsec-SA established" "$work/$node/daemon.log" || true)"
    # Two lines per pair, so at least four pairs: the first and three rekeys.
    echo "  node $node: $established IPsec-SA established lines"
    [ "$established" -ge 8 ] || fail "node $node logged fewer than 3 rekeys ($established established lines)"
  done
  [ -n "$spis_after" ] || fail "node a has no SA after the ping"
  common="$(comm -12 <(echo "$spis_before") <(echo "$spis_after"))"
  [ -z "$common" ] || fail "node a still has the first SPIs after 70 s: $common"
  for node in a b; do
    pairs=$(( $(spis_of "$node" | wc -l) / 2 ))
    echo "  node $node: $pairs SA pairs"
    [ "$pairs" -le 2 ] || fail "node $node keeps $pairs SA pairs; replaced pairs were not deleted"
  done
else
  step "Both nodes ping each other at the same moment with empty SADs"
  ip netns exec "$ns_a" ping -n -q -c 20 -i 0.2 -w 30 "$address_b" >"$work/ping-a.log" &
  ping_a=$!
  ip netns exec "$ns_b" ping -n -q -c 20 -i 0.2 -w 30 "$address_a" >"$work/ping-b.log" &
  ping_b=$!
  wait "$ping_a" || true
  wait "$ping_b" || true
  sed "s/^/  node a: /" "$work/ping-a.log" | grep transmitted || true
  sed "s/^/  node b: /" "$work/ping-b.log" | grep transmitted || true
  grep -q " 0 received" "$work/ping-a.log" && fail "node a got no reply"
  grep -q " 0 received" "$work/ping-b.log" && fail "node b got no reply"

  step "Waiting for duplicate pairs to be retired"
  sleep 12
  spis_a="$(spis_of a)"
  spis_b="$(spis_of b)"
  echo "  SPIs on node a: $(echo $spis_a)"
  echo "  SPIs on node b: $(echo $spis_b)"
  [ "$spis_a" = "$spis_b" ] || fail "the nodes keep different SAs"
  [ "$(echo "$spis_a" | wc -l)" -eq 2 ] || fail "the nodes keep more or less than one SA pair"

  step "Checking that one ISAKMP SA is left, the same one on both nodes"
  isakmp_a="$(isakmp_sas_of a)"
  isakmp_b="$(isakmp_sas_of b)"
  echo "  ISAKMP SAs on node a: $(echo $isakmp_a)"
  echo "  ISAKMP SAs on node b: $(echo $isakmp_b)"
  [ "$(echo "$isakmp_a" | grep -c .)" -eq 1 ] || fail "node a keeps other than one ISAKMP SA"
  [ "$(echo "$isakmp_b" | grep -c .)" -eq 1 ] || fail "node b keeps other than one ISAKMP SA"
  echo "$isakmp_a" | grep -q ' established$' || fail "node a's ISAKMP SA is not established"
  [ "$isakmp_a" = "$isakmp_b" ] || fail "the nodes keep different ISAKMP SAs"

  step "Ping every 0.2 s for 10 s in both directions"
  ping_without_loss a 10
  ping_without_loss b 10
fi

step "Stopping the daemons and checking the capture"
for node in a b; do
  kill -TERM "${daemon_pid[$node]}"
  wait "${daemon_pid[$node]}" || fail "ipop-espd on node $node exited with status $?"
done
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
between_nodes="ip and host $address_a and host $address_b"
clear_icmp="$(tcpdump -r "$work/switch.pcap" -n "$between_nodes and icmp" 2>/dev/null | wc -l)"
esp_packets="$(tcpdump -r "$work/switch.pcap" -n "$between_nodes and esp" 2>/dev/null | wc -l)"
echo "  ESP packets: $esp_packets, cleartext ICMP: $clear_icmp"
[ "$esp_packets" -gt 0 ] || fail "no ESP crossed the switch"
[ "$clear_icmp" -eq 0 ] || fail "cleartext ICMP crossed the switch"
echo "rekey_test ($mode): PASSED"
