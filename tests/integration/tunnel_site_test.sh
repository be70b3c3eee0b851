#!/usr/bin/env bash
# Site to site in ESP tunnel mode: two gateways running ipop-espd, each with
# a host on a subnet behind it, so that the traffic between the hosts is
# forwarded through the tunnel and the gateways talk only ESP and IKE.
#
#   PREFIX-ha             PREFIX-ga                      PREFIX-gb              PREFIX-hb
#   10.61.1.5/24 -veth- 10.61.1.1 | 192.0.2.1 -veth- 192.0.2.2 | 10.61.2.1 -veth- 10.61.2.7/24
#                         ipop-espd (TUN)  tcpdump here   ipop-espd (TUN)
#
# Each gateway has the setkey policies of RFC 4303 tunnel mode:
#   spdadd LOCAL REMOTE any -P out ipsec esp/tunnel/GW-PEER/require;
#   spdadd REMOTE LOCAL any -P in  ipsec esp/tunnel/PEER-GW/require;
#   spdadd REMOTE LOCAL any -P fwd ipsec esp/tunnel/PEER-GW/require;
# Host a pings host b (the first packet starts IKE), host b pings host a,
# and host a sends 4 MB over TCP to host b with SHA-256 compared at both
# ends. With the daemons stopped, a ping must not pass, although plain
# routes between the subnets exist. The capture on gateway a's link to
# gateway b must hold ESP (or ESP in UDP with --nat-traversal force) and
# IKE, and nothing else.
#
# Usage: tunnel_site_test.sh BIN_DIR [--prefix NAME] [--nat-traversal on|force] [--keep]
#   BIN_DIR            directory holding ipop-espd and ipop-esp
#   --prefix           prefix of the namespaces and interfaces (default
#                      ipttun), at most 9 characters
#   --nat-traversal    racoon's nat_traversal for both gateways; force
#                      carries the tunnel in UDP 4500 (RFC 3948) without a NAT
#   --keep             keep the work directory (configs, logs, capture)
# Exits 77 (skipped) when it cannot run here: not root, no TUN device, or a
# missing tool.
set -euo pipefail

readonly skip=77
bin_dir="${1:?usage: tunnel_site_test.sh BIN_DIR [--prefix NAME] [--nat-traversal on|force] [--keep]}"
shift
prefix="ipttun"
nat_traversal="on"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift ;;
    --nat-traversal) nat_traversal="$2"; shift ;;
    --keep) keep=1 ;;
    *) echo "tunnel_site_test: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case "$nat_traversal" in
  on|force) ;;
  *) echo "tunnel_site_test: --nat-traversal must be on or force" >&2; exit 2 ;;
esac
if [ "${#prefix}" -gt 9 ]; then
  echo "tunnel_site_test: --prefix \"$prefix\" is longer than 9 characters" >&2
  exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the tunnel-mode namespace test needs root (run: sudo tools/test.sh)"
  exit "$skip"
fi
if [ ! -c /dev/net/tun ]; then
  echo "SKIP: /dev/net/tun is missing, so no TUN device can be created"
  exit "$skip"
fi
for tool in ip tcpdump python3 sha256sum; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (run tools/install-deps.sh)"
    exit "$skip"
  fi
done
espd="$bin_dir/ipop-espd"
esp_cli="$bin_dir/ipop-esp"
for binary in "$espd" "$esp_cli"; do
  [ -x "$binary" ] || { echo "tunnel_site_test: $binary not found; build first" >&2; exit 1; }
done

readonly gateway_a="192.0.2.1" gateway_b="192.0.2.2"
readonly subnet_a="10.61.1.0/24" subnet_b="10.61.2.0/24"
readonly lan_a="10.61.1.1" lan_b="10.61.2.1"
readonly host_a="10.61.1.5" host_b="10.61.2.7"
readonly ns_ha="$prefix-ha" ns_ga="$prefix-ga" ns_gb="$prefix-gb" ns_hb="$prefix-hb"
readonly tun_name="$prefix-t0"
readonly wan_a="$prefix-wa" wan_b="$prefix-wb"
readonly transfer_port=5001
readonly transfer_bytes=$((4 * 1024 * 1024))
readonly psk_secret="ipttun-site-to-site-secret"
name="tunnel_site_test($nat_traversal)"

fail() { echo "$name: FAILED: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

work="$(mktemp -d "/tmp/$prefix.XXXXXX")"
pids=()
cleanup() {
  local status=$?
  set +e
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null
  done
  if [ "$status" -ne 0 ]; then
    for gateway in a b; do
      if [ -f "$work/$gateway/daemon.log" ]; then
        echo "--- last lines of gateway $gateway's daemon log" >&2
        tail -n 25 "$work/$gateway/daemon.log" >&2
      fi
    done
  fi
  for ns in "$ns_ha" "$ns_ga" "$ns_gb" "$ns_hb"; do
    ip netns del "$ns" 2>/dev/null
  done
  if [ "$keep" -eq 1 ]; then
    echo "$name: work directory kept: $work"
  else
    rm -rf "$work"
  fi
  [ "$status" -eq 0 ] && echo "$name: PASSED"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Topology -------------------------------------------------------------------

step "Creating hosts $ns_ha, $ns_hb and gateways $ns_ga, $ns_gb"
for ns in "$ns_ha" "$ns_ga" "$ns_gb" "$ns_hb"; do
  if ip netns list | grep -qw "^$ns"; then
    fail "namespace $ns already exists; remove it with: ip netns del $ns"
  fi
done
for ns in "$ns_ha" "$ns_ga" "$ns_gb" "$ns_hb"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  # IPv4 only: IPv6 neighbour discovery would show up in the capture.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip -n "$ns_ga" link add "$wan_a" type veth peer name "$wan_b" netns "$ns_gb"
ip -n "$ns_ga" addr add "$gateway_a/24" dev "$wan_a"
ip -n "$ns_gb" addr add "$gateway_b/24" dev "$wan_b"
ip -n "$ns_ga" link set "$wan_a" up
ip -n "$ns_gb" link set "$wan_b" up
# One LAN per side: host <-> gateway. The hosts route everything through
# their gateway, and the gateways forward.
for side in a b; do
  ns_host_var="ns_h$side"; ns_gateway_var="ns_g$side"
  lan_var="lan_$side"; host_var="host_$side"
  ip -n "${!ns_gateway_var}" link add "$prefix-l$side" type veth peer name "$prefix-h$side" \
    netns "${!ns_host_var}"
  ip -n "${!ns_gateway_var}" addr add "${!lan_var}/24" dev "$prefix-l$side"
  ip -n "${!ns_host_var}" addr add "${!host_var}/24" dev "$prefix-h$side"
  ip -n "${!ns_gateway_var}" link set "$prefix-l$side" up
  ip -n "${!ns_host_var}" link set "$prefix-h$side" up
  ip -n "${!ns_host_var}" route add default via "${!lan_var}"
  ip netns exec "${!ns_gateway_var}" sysctl -qw net.ipv4.ip_forward=1
done
# Plain routes to the other subnet, as a site's default route would give:
# without the daemons, only the kernel policies keep cleartext off the link.
ip -n "$ns_ga" route add "$subnet_b" via "$gateway_b"
ip -n "$ns_gb" route add "$subnet_a" via "$gateway_a"

# --- Configuration --------------------------------------------------------------

write_gateway_config() {
  local dir="$1" gateway="$2" peer="$3" local_subnet="$4" remote_subnet="$5"
  mkdir -p "$dir"
  install -m 0600 /dev/null "$dir/psk.txt"
  echo "$peer $psk_secret" >"$dir/psk.txt"
  cat >"$dir/racoon.conf" <<EOF
path pre_shared_key "$dir/psk.txt";

listen
{
    isakmp $gateway [500];
    isakmp_natt $gateway [4500];
}

remote $peer {
        exchange_mode main;
        my_identifier address;
        nat_traversal $nat_traversal;
        proposal {
                encryption_algorithm aes 128;
                hash_algorithm sha256;
                authentication_method pre_shared_key;
                dh_group modp2048;
        }
}
sainfo address $local_subnet any address $remote_subnet any {
        pfs_group modp2048;
        encryption_algorithm aes 128;
        authentication_algorithm hmac_sha256;
        compression_algorithm deflate;
}
EOF
  cat >"$dir/setkey.conf" <<EOF
spdadd $local_subnet $remote_subnet any -P out ipsec esp/tunnel/$gateway-$peer/require;
spdadd $remote_subnet $local_subnet any -P in ipsec esp/tunnel/$peer-$gateway/require;
spdadd $remote_subnet $local_subnet any -P fwd ipsec esp/tunnel/$peer-$gateway/require;
EOF
}
write_gateway_config "$work/a" "$gateway_a" "$gateway_b" "$subnet_a" "$subnet_b"
write_gateway_config "$work/b" "$gateway_b" "$gateway_a" "$subnet_b" "$subnet_a"
for gateway in a b; do
  "$esp_cli" check -f "$work/$gateway/racoon.conf" --setkey "$work/$gateway/setkey.conf" |
    sed "s/^/  gateway $gateway: /"
done

# --- Capture and daemons --------------------------------------------------------

step "Starting tcpdump on $wan_a, the link between the gateways"
ip netns exec "$ns_ga" tcpdump -i "$wan_a" -n -U -w "$work/wan.pcap" 2>"$work/tcpdump.log" &
tcpdump_pid=$!
pids+=("$tcpdump_pid")
for _ in $(seq 50); do
  grep -q "listening on" "$work/tcpdump.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening on" "$work/tcpdump.log" || fail "tcpdump did not start: $(cat "$work/tcpdump.log")"

step "Starting ipop-espd on both gateways"
declare -A daemon_pid
for gateway in a b; do
  dir="$work/$gateway"
  ip netns exec "$prefix-g$gateway" "$espd" -F -f "$dir/racoon.conf" --setkey "$dir/setkey.conf" \
    --control "$dir/ipop-espd.sock" --tun "$tun_name" 2>"$dir/daemon.log" &
  pids+=($!)
  daemon_pid[$gateway]=$!
done
for gateway in a b; do
  for _ in $(seq 100); do
    [ -S "$work/$gateway/ipop-espd.sock" ] && break
    kill -0 "${daemon_pid[$gateway]}" 2>/dev/null || fail "ipop-espd on gateway $gateway exited during start"
    sleep 0.1
  done
  [ -S "$work/$gateway/ipop-espd.sock" ] || fail "ipop-espd on gateway $gateway did not open its control socket"
  grep "routing" "$work/$gateway/daemon.log" | sed "s/^/  gateway $gateway: /"
done

# --- Traffic --------------------------------------------------------------------

step "Ping host $host_a -> host $host_b (the first packet starts IKE)"
ip netns exec "$ns_ha" ping -n -c 3 -i 0.5 -w 30 "$host_b" | sed "s/^/  /" ||
  fail "ping from $host_a to $host_b did not get 3 replies within 30 s"
step "Ping host $host_b -> host $host_a"
ip netns exec "$ns_hb" ping -n -c 3 -i 0.2 -w 10 "$host_a" | sed "s/^/  /" ||
  fail "ping from $host_b to $host_a did not get 3 replies within 10 s"

step "Sending $transfer_bytes bytes over TCP $host_a -> $host_b:$transfer_port"
head -c "$transfer_bytes" /dev/urandom >"$work/sent.bin"
transfer="$(dirname "$0")/tcp_transfer.py"
ip netns exec "$ns_hb" timeout 120 python3 "$transfer" receive "$host_b" "$transfer_port" \
  "$work/received.bin" >"$work/receiver.log" 2>&1 &
receiver_pid=$!
pids+=("$receiver_pid")
for _ in $(seq 50); do
  grep -q listening "$work/receiver.log" 2>/dev/null && break
  sleep 0.1
done
ip netns exec "$ns_ha" timeout 120 python3 "$transfer" send "$host_b" "$transfer_port" "$work/sent.bin" ||
  fail "TCP sender failed"
wait "$receiver_pid" || fail "TCP receiver failed: $(cat "$work/receiver.log")"
sent_sum="$(sha256sum <"$work/sent.bin" | cut -d' ' -f1)"
received_sum="$(sha256sum <"$work/received.bin" | cut -d' ' -f1)"
echo "  sent     sha256 $sent_sum"
echo "  received sha256 $received_sum ($(stat -c %s "$work/received.bin") bytes)"
[ "$sent_sum" = "$received_sum" ] || fail "SHA-256 of the received data differs from what was sent"

# --- Results --------------------------------------------------------------------

for gateway in a b; do
  step "ipop-esp sa and status on gateway $gateway"
  for command in sa status; do
    ip netns exec "$prefix-g$gateway" "$esp_cli" --control "$work/$gateway/ipop-espd.sock" "$command" |
      sed "s/^/  /"
  done
done
step "Stopping the daemons"
for gateway in a b; do
  kill -TERM "${daemon_pid[$gateway]}"
  wait "${daemon_pid[$gateway]}" || fail "ipop-espd on gateway $gateway exited with status $?"
done
step "Ping host $host_a -> host $host_b with the daemons stopped (must not pass)"
# The fail-closed policies stay installed, so the gateways must drop the
# forwarded packets instead of sending them in clear on the plain routes.
if ip netns exec "$ns_ha" ping -n -c 3 -i 0.2 -W 1 "$host_b" >"$work/ping-stopped.log" 2>&1; then
  fail "ping from $host_a to $host_b passed with the daemons stopped"
fi
tail -n 2 "$work/ping-stopped.log" | sed "s/^/  /"
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true

for gateway in a b; do
  grep -q "IPsec-SA established: ESP/Tunnel" "$work/$gateway/daemon.log" ||
    fail "gateway $gateway logged no ESP/Tunnel IPsec-SA established line"
  grep "IPsec-SA established" "$work/$gateway/daemon.log" | sed "s/^/  gateway $gateway: /"
done

step "Checking the capture between the gateways"
count() { tcpdump -r "$work/wan.pcap" -n "$1" 2>/dev/null | wc -l; }
ike="$(count 'udp port 500 or (udp port 4500 and udp[8:4] = 0)')"
esp_plain="$(count 'ip proto 50')"
esp_in_udp="$(count 'udp port 4500 and udp[8:4] != 0 and greater 50')"
other="$(count 'not arp and not ip proto 50 and not udp port 500 and not udp port 4500')"
inner="$(count "host $host_a or host $host_b")"
echo "  IKE: $ike, ESP: $esp_plain, ESP in UDP: $esp_in_udp, other: $other, inner addresses: $inner"
[ "$ike" -ge 6 ] || fail "fewer than 6 IKE packets between the gateways"
[ "$other" -eq 0 ] || fail "$other packets between the gateways are neither ESP nor IKE"
[ "$inner" -eq 0 ] || fail "$inner packets carry a host address in the clear"
# 4 MB of TCP take far more than 2000 packets.
if [ "$nat_traversal" = force ]; then
  [ "$esp_plain" -eq 0 ] || fail "plain ESP crossed although the tunnel is UDP-encapsulated"
  [ "$esp_in_udp" -ge 2000 ] || fail "too few ESP-in-UDP packets ($esp_in_udp) for the transfer"
else
  [ "$esp_plain" -ge 2000 ] || fail "too few ESP packets ($esp_plain) for the transfer"
fi
