#!/bin/bash
# The XFRM backend against this machine's kernel, in two network namespaces
# joined by a veth pair:
#   1. the start-up probe reports what the kernel accepts;
#   2. policies (out, in, fwd with reqids) and an ALLOCSPI reservation reach
#      the kernel, as `ip xfrm policy` and `ip xfrm state` show;
#   3. an ACQUIRE raised by the kernel for a policy without a state reaches
#      the backend's handler;
#   4. a keyed NEWSA request is wiped after sending, and on a kernel with
#      ESP a second SA with the same SPI and destination (two peers behind
#      one NAT) is rejected with an error that names the cause;
#   5. ipop-espd --offload auto logs the probe result and, on a kernel
#      without ESP, carries the SAs in userspace (`ipop-esp sa` backend column);
#   6. ipop-espd --offload kernel installs kernel policies, and a packet that
#      meets one starts a phase 1 negotiation through the kernel's ACQUIRE.
# Needs root. Exit 77 (skipped) without it or without `ip`.
#
# Usage: xfrm_backend_test.sh TOOL BIN_DIR
set -euo pipefail

tool="$1"
bin_dir="$2"
espd="$bin_dir/ipop-espd"
esp_cli="$bin_dir/ipop-esp"
prefix="ipxfrm"
ns_a="$prefix-a"
ns_b="$prefix-b"
address_a="10.231.0.1"
address_b="10.231.0.2"

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
  echo "xfrm_backend_test: needs root and iproute2, skipped"
  exit 77
fi

step() { echo "== $*"; }
fail() {
  echo "xfrm_backend_test: FAILED: $*" >&2
  exit 1
}

work="$(mktemp -d "/tmp/$prefix.XXXXXX")"
pids=()
cleanup() {
  local status=$?
  set +e
  # A closed output pipe must not stop the cleanup before the namespaces go.
  trap '' PIPE
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null
  done
  ip netns del "$ns_a" 2>/dev/null
  ip netns del "$ns_b" 2>/dev/null
  if [ "$status" -ne 0 ]; then
    for log in "$work"/*.log; do
      [ -f "$log" ] || continue
      echo "--- last lines of $log" >&2
      tail -n 20 "$log" >&2
    done
  fi
  rm -rf "$work"
  [ "$status" -eq 0 ] && echo "xfrm_backend_test: PASSED"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

at_a() { ip netns exec "$ns_a" "$@"; }
at_b() { ip netns exec "$ns_b" "$@"; }
flush_xfrm() {
  ip -n "$ns_a" xfrm policy flush
  ip -n "$ns_a" xfrm state flush
}

step "Creating namespaces $ns_a and $ns_b"
for ns in "$ns_a" "$ns_b"; do
  if ip netns list | grep -qw "^$ns"; then
    fail "namespace $ns already exists; remove it with: ip netns del $ns"
  fi
done
ip netns add "$ns_a"
ip netns add "$ns_b"
ip -n "$ns_a" link set lo up
ip -n "$ns_b" link set lo up
ip -n "$ns_a" link add "$prefix-ea" type veth peer name "$prefix-eb" netns "$ns_b"
ip -n "$ns_a" addr add "$address_a/24" dev "$prefix-ea"
ip -n "$ns_b" addr add "$address_b/24" dev "$prefix-eb"
ip -n "$ns_a" link set "$prefix-ea" up
ip -n "$ns_b" link set "$prefix-eb" up

# --- 1. Probe ------------------------------------------------------------------

step "Probing kernel ESP"
probe="$(at_a "$tool" probe)"
echo "  $probe"
kernel_has_esp=1
case "$probe" in
  "kernel ESP unavailable ("*) kernel_has_esp=0 ;;
  "kernel ESP available for"*) ;;
  *) fail "unexpected probe output: $probe" ;;
esac
[ -z "$(ip -n "$ns_a" xfrm state)" ] || fail "the probe left a state behind: $(ip -n "$ns_a" xfrm state)"

# --- 2. Policies and ALLOCSPI ---------------------------------------------------

step "Installing out/in/fwd policies and reserving an SPI"
installed="$(at_a "$tool" install "$address_a" "$address_b")"
echo "$installed" | sed "s/^/  /"
spi="$(echo "$installed" | sed -n 's/^spi //p')"
[ -n "$spi" ] || fail "no SPI in the tool's output"
[ "$spi" -ge 256 ] || fail "SPI $spi is below 256"
in_reqid="$(echo "$installed" | sed -n 's/^policy [0-9]* in reqid //p')"
fwd_reqid="$(echo "$installed" | sed -n 's/^policy [0-9]* fwd reqid //p')"
[ "$in_reqid" = "$fwd_reqid" ] || fail "fwd reqid $fwd_reqid differs from in reqid $in_reqid"

policies="$(ip -n "$ns_a" xfrm policy)"
echo "$policies" | sed "s/^/  /"
for direction in out in fwd; do
  echo "$policies" | grep -q "dir $direction priority" || fail "no $direction policy in the kernel"
done
[ "$(echo "$policies" | grep -c "tmpl src 0.0.0.0 dst 0.0.0.0")" -eq 3 ] ||
  fail "expected 3 ESP templates"
[ "$(echo "$policies" | grep -c "proto esp reqid [1-9]")" -eq 3 ] ||
  fail "expected 3 templates with a reqid"

states="$(ip -n "$ns_a" xfrm state)"
echo "$states" | sed "s/^/  /"
spi_hex="$(printf '0x%08x' "$spi")"
echo "$states" | grep -q "src $address_b dst $address_a" ||
  fail "no reserved state $address_b -> $address_a"
echo "$states" | grep -q "proto esp spi $spi_hex" || fail "no state with SPI $spi_hex"
flush_xfrm

# --- 3. ACQUIRE ------------------------------------------------------------------

step "Sending to $address_b through a policy without a state"
acquire="$(at_a "$tool" acquire "$address_a" "$address_b")" || fail "no ACQUIRE reached the handler"
echo "  $acquire"
echo "$acquire" | grep -q "$address_a -> $address_b" || fail "ACQUIRE names the wrong flow"
flush_xfrm

# --- 4. Keys wiped after sending ---------------------------------------------------

step "Sending a keyed XFRM_MSG_NEWSA"
wipe="$(at_a "$tool" wipe "$address_a" "$address_b")" || fail "keys stayed in the request: $wipe"
echo "$wipe" | sed "s/^/  /"
flush_xfrm

if [ "$kernel_has_esp" -eq 1 ]; then
  step "Adding two ESP-in-UDP SAs with the same SPI and destination"
  duplicate="$(at_a "$tool" duplicate-spi "$address_a" "$address_b")" ||
    fail "the second SA with the same SPI was not rejected with the EEXIST explanation: $duplicate"
  echo "$duplicate" | sed "s/^/  /"
  flush_xfrm
else
  step "Skipping the duplicate SPI check: the kernel has no ESP"
fi

# --- 5 and 6. The daemon ------------------------------------------------------------

write_config() {
  local node="$1" local_address="$2" peer_address="$3" dir="$work/$1"
  mkdir -p "$dir"
  cat >"$dir/racoon.conf" <<CONF
path pre_shared_key "$dir/psk.txt";
listen {
    isakmp $local_address [500];
    isakmp_natt $local_address [4500];
}
remote anonymous {
    proposal {
        encryption_algorithm 3des;
        hash_algorithm sha1;
        authentication_method pre_shared_key;
        dh_group modp1024;
    }
    my_identifier address;
    exchange_mode main;
}
sainfo anonymous {
    authentication_algorithm hmac_sha1;
    encryption_algorithm 3des;
    compression_algorithm deflate;
}
CONF
  install -m 0600 /dev/null "$dir/psk.txt"
  echo "$peer_address xfrm-backend-test-secret" >"$dir/psk.txt"
  cat >"$dir/setkey.conf" <<CONF
spdadd $local_address/32 $peer_address/32 any -P out ipsec esp/transport//require;
spdadd $peer_address/32 $local_address/32 any -P in ipsec esp/transport//require;
CONF
}
write_config a "$address_a" "$address_b"
write_config b "$address_b" "$address_a"

# start_daemon NODE OFFLOAD [--keep-policies]
start_daemon() {
  local node="$1" offload="$2" dir="$work/$1" unblock="--unblock-on-stop"
  [ "${3:-}" = "--keep-policies" ] && unblock=""
  ip netns exec "$prefix-$node" "$espd" -F -f "$dir/racoon.conf" --setkey "$dir/setkey.conf" \
    --control "$dir/control.sock" --tun "$prefix-t$node" --offload "$offload" \
    $unblock 2>"$work/daemon-$node.log" &
  pids+=($!)
  for _ in $(seq 100); do
    [ -S "$dir/control.sock" ] && return 0
    kill -0 "$!" 2>/dev/null || fail "ipop-espd on $node exited during start"
    sleep 0.1
  done
  fail "ipop-espd on $node did not open its control socket"
}
stop_daemons() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
  rm -f "$work"/a/control.sock "$work"/b/control.sock
}

step "ipop-espd --offload auto on both nodes"
start_daemon a auto
start_daemon b auto
grep "kernel ESP" "$work/daemon-a.log" | sed "s/^/  /"
if [ "$kernel_has_esp" -eq 0 ]; then
  grep -q "kernel ESP unavailable (.*), using userspace ESP" "$work/daemon-a.log" ||
    fail "no fallback log line"
  spd="$(at_a "$esp_cli" --control "$work/a/control.sock" spd)"
  echo "$spd" | sed "s/^/  /"
  echo "$spd" | grep -q "userspace$" || fail "ipop-esp spd shows no userspace backend"
  at_a ping -n -c 2 -i 0.5 -w 20 "$address_b" >/dev/null || fail "ping over userspace ESP failed"
  sas="$(at_a "$esp_cli" --control "$work/a/control.sock" sa)"
  echo "$sas" | sed "s/^/  /"
  [ "$(echo "$sas" | grep -c "transport .* userspace$")" -eq 2 ] ||
    fail "ipop-esp sa does not show two userspace ESP SAs"
  setkey_sad="$(at_a "$esp_cli" --control "$work/a/control.sock" sa --setkey)"
  echo "$setkey_sad" | sed "s/^/  /"
  echo "$setkey_sad" | grep -q "^$address_a $address_b $" || fail "sa --setkey lacks the SA header line"
  echo "$setkey_sad" | grep -q "$(printf '\t')esp mode=transport spi=" || fail "sa --setkey lacks the esp line"
  setkey_spd="$(at_a "$esp_cli" --control "$work/a/control.sock" spd --setkey)"
  echo "$setkey_spd" | sed "s/^/  /"
  echo "$setkey_spd" | grep -q "^$address_a/32\[any\] $address_b/32\[any\] 255$" ||
    fail "spd --setkey lacks the selector line"
  echo "$setkey_spd" | grep -q "$(printf '\t')out prio def ipsec" || fail "spd --setkey lacks the direction line"
fi
stop_daemons
flush_xfrm

step "ipop-espd --offload kernel on $ns_a: a packet starts IKE through ACQUIRE"
start_daemon b userspace
start_daemon a kernel
policies="$(ip -n "$ns_a" xfrm policy)"
echo "$policies" | sed "s/^/  /"
[ "$(echo "$policies" | grep -c "proto esp reqid [1-9]")" -eq 2 ] ||
  fail "the daemon's kernel policies are missing"
at_a ping -n -c 1 -W 1 "$address_b" >/dev/null 2>&1 || true
for _ in $(seq 50); do
  grep -q "initiate new phase 1 negotiation: $address_a" "$work/daemon-a.log" && break
  sleep 0.1
done
grep "acquire\|initiate new phase\|ISAKMP-SA established\|kernel SA\|XFRM" "$work/daemon-a.log" |
  sed "s/^/  /" || true
grep -q "initiate new phase 1 negotiation: $address_a" "$work/daemon-a.log" ||
  fail "the kernel's ACQUIRE did not start a negotiation"
# A failed UDP_ENCAP setsockopt stops the start, so the log line is the check.
grep -q "$address_a\[4500\]: the kernel decapsulates ESP-in-UDP" "$work/daemon-a.log" ||
  fail "UDP_ENCAP_ESPINUDP was not set on the NAT-T socket in kernel mode"
if grep -q "kernel decapsulates ESP-in-UDP" "$work/daemon-b.log"; then
  fail "UDP_ENCAP_ESPINUDP was set on a NAT-T socket in userspace mode"
fi
stop_daemons

step "Switching $ns_a from kernel to userspace mode over kept policies"
start_daemon a kernel --keep-policies
stop_daemons
kept="$(ip -n "$ns_a" xfrm policy | grep -c "proto esp reqid [1-9]" || true)"
[ "$kept" -eq 2 ] || fail "kernel mode did not keep its 2 policies on stop (found $kept)"
start_daemon a userspace
grep "fail-closed" "$work/daemon-a.log" | sed "s/^/  /"
stop_daemons
left="$(ip -n "$ns_a" xfrm policy | grep -c "proto esp" || true)"
[ "$left" -eq 0 ] || fail "userspace mode left $left ESP policies after --unblock-on-stop"
