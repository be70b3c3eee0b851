#!/usr/bin/env bash
# The ipop-esp demo: two overlay nodes protect their traffic with IKEv1 and
# userspace ESP, exactly as racoon did with the IPOP recipe.
#
#   namespace PREFIX-a                namespace PREFIX-sw            namespace PREFIX-b
#   192.168.1.100/24                  bridge PREFIX-br               192.168.1.101/24
#   PREFIX-ea  <----- veth ----->  PREFIX-pa    PREFIX-pb  <----- veth ----->  PREFIX-eb
#   ipop-espd (TUN iptesp0)           tcpdump                        ipop-espd (TUN iptesp0)
#
# The script builds the project (installing Debian packages when missing)
# and creates the namespaces. It makes a throwaway CA and one certificate per
# node (CN = node address) with the openssl CLI, then writes each node's
# racoon.conf and setkey policy pair. It starts both daemons and a capture on
# the switch, pings, sends 10 MB over TCP and compares SHA-256 at both ends.
# After stopping the daemons it checks that only ESP and IKE crossed the
# switch. Everything created is removed on exit, also on failure, and any
# failure makes the exit status non-zero.
#
# With --nat, node a sits behind a NAT router (nftables masquerade):
#
#   PREFIX-a 192.168.2.100 -- veth -- 192.168.2.1 [PREFIX-nat] 192.168.1.1 -- bridge -- PREFIX-b
#
# IKE detects the NAT ("NAT detected: ME" on a, "NAT detected: PEER" on b),
# floats to UDP 4500, and ESP travels in UDP (RFC 3948). The default policy
# range covers the private and the NAT's public address, because in
# transport mode each node protects the addresses on its side of the NAT:
# node a its own private address and b, node b its own and the NAT's public
# address.
#
# Usage: tools/demo.sh [options]   (as root)
#   --no-build            use existing binaries (default: run tools/build.sh)
#   --bin-dir DIR         directory holding ipop-espd and ipop-esp
#                         (default: $IPOP_BUILD_DIR/tools or build/tools)
#   --prefix NAME         prefix of every namespace and interface (default
#                         iptdemo), at most 11 characters so that interface
#                         names fit in 15
#   --address-a ADDRESS   node a's address (default 192.168.1.100)
#   --address-b ADDRESS   node b's address (default 192.168.1.101)
#   --subnet-length N     prefix length of the nodes' link (default 24)
#   --policy-range CIDR   range of the setkey policy pair (default
#                         192.168.1.0/16, as in the IPOP recipe)
#   --keep                keep the work directory (configs, logs, capture)
#   --nat                 put node a behind a NAT router; a's default address
#                         becomes 192.168.2.100 and the NAT's public address
#                         is 192.168.1.1
#   --nat-traversal MODE  racoon's nat_traversal setting for both nodes: on
#                         (default), force (UDP 4500 and ESP in UDP even
#                         without a NAT) or off
set -euo pipefail

top="$(cd "$(dirname "$0")/.." && pwd)"
build=1
bin_dir=""
prefix="iptdemo"
keep=0
address_a="192.168.1.100"
address_b="192.168.1.101"
subnet_length=24
policy_range="192.168.1.0/16"
nat=0
nat_traversal="on"
address_a_given=0
readonly nat_inside="192.168.2.1" nat_public="192.168.1.1"

while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --bin-dir) bin_dir="$2"; shift ;;
    --prefix) prefix="$2"; shift ;;
    --address-a) address_a="$2"; address_a_given=1; shift ;;
    --address-b) address_b="$2"; shift ;;
    --subnet-length) subnet_length="$2"; shift ;;
    --policy-range) policy_range="$2"; shift ;;
    --keep) keep=1 ;;
    --nat) nat=1 ;;
    --nat-traversal) nat_traversal="$2"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

case "$nat_traversal" in
  on|force|off) ;;
  *) echo "demo: --nat-traversal \"$nat_traversal\" is invalid; use on, force or off" >&2; exit 2 ;;
esac
if [ "${#prefix}" -gt 11 ]; then
  echo "demo: --prefix \"$prefix\" is longer than 11 characters" >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: needs root for network namespaces; run it as root" >&2
  exit 1
fi

if [ "$nat" -eq 1 ] && [ "$address_a_given" -eq 0 ]; then
  address_a="192.168.2.100"
fi
readonly ns_a="$prefix-a" ns_b="$prefix-b" ns_sw="$prefix-sw" ns_nat="$prefix-nat"
# The address under which node a appears on the switch.
outside_a="$address_a"
if [ "$nat" -eq 1 ]; then
  outside_a="$nat_public"
fi
readonly bridge="$prefix-br"
readonly tun_name="iptesp0"
readonly transfer_port=5001
readonly transfer_bytes=$((10 * 1024 * 1024))

step() { printf '\n== %s\n' "$*"; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }

# --- Build ----------------------------------------------------------------

if [ "$build" -eq 1 ]; then
  step "Installing dependencies and building (tools/build.sh)"
  "$top/tools/build.sh"
fi
if [ -z "$bin_dir" ]; then
  bin_dir="${IPOP_BUILD_DIR:-$top/build}/tools"
fi
espd="$bin_dir/ipop-espd"
esp_cli="$bin_dir/ipop-esp"
for binary in "$espd" "$esp_cli"; do
  [ -x "$binary" ] || fail "$binary not found; build first or pass --bin-dir"
done
required_tools=(ip tcpdump openssl python3 sha256sum)
if [ "$nat" -eq 1 ]; then
  required_tools+=(nft)
fi
for tool in "${required_tools[@]}"; do
  command -v "$tool" >/dev/null || fail "$tool not found; run tools/install-deps.sh"
done

# --- Cleanup, registered before anything is created ------------------------

work="$(mktemp -d "/tmp/$prefix.XXXXXX")"
pids=()

cleanup() {
  local status=$?
  set +e

  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null
    fi
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null
  done

  if [ "$status" -ne 0 ]; then
    for node in a b; do
      if [ -f "$work/$node/daemon.log" ]; then
        echo "--- last lines of node $node's daemon log" >&2
        tail -n 25 "$work/$node/daemon.log" >&2
      fi
    done
  fi
  for ns in "$ns_a" "$ns_b" "$ns_sw" "$ns_nat"; do
    ip netns del "$ns" 2>/dev/null
  done

  if [ "$keep" -eq 1 ]; then
    echo "demo: work directory kept: $work"
  else
    rm -rf "$work"
  fi
  if [ "$status" -eq 0 ]; then
    echo "demo: PASSED"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Topology ---------------------------------------------------------------

step "Creating namespaces $ns_a, $ns_b and switch $ns_sw with bridge $bridge"
for ns in "$ns_a" "$ns_b" "$ns_sw" "$ns_nat"; do
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
if [ "$nat" -eq 1 ]; then
  # Node a reaches the switch through the NAT namespace, whose outside
  # interface sits where node a's link would be.
  step "Creating NAT router $ns_nat: $nat_inside inside, $nat_public outside (masquerade)"
  ip netns add "$ns_nat"
  ip -n "$ns_nat" link set lo up
  ip -n "$ns_sw" link add "$prefix-pa" type veth peer name "$prefix-ou" netns "$ns_nat"
  ip -n "$ns_sw" link set "$prefix-pa" master "$bridge" up
  ip -n "$ns_nat" link add "$prefix-in" type veth peer name "$prefix-ea" netns "$ns_a"
  ip -n "$ns_nat" addr add "$nat_public/$subnet_length" dev "$prefix-ou"
  ip -n "$ns_nat" addr add "$nat_inside/24" dev "$prefix-in"
  ip -n "$ns_nat" link set "$prefix-ou" up
  ip -n "$ns_nat" link set "$prefix-in" up
  ip netns exec "$ns_nat" sysctl -qw net.ipv4.ip_forward=1
  printf 'table ip nat {\n  chain postrouting {\n    type nat hook postrouting priority srcnat;\n    oifname "%s" masquerade\n  }\n}\n' \
    "$prefix-ou" | ip netns exec "$ns_nat" nft -f -
  ip -n "$ns_a" addr add "$address_a/24" dev "$prefix-ea"
  ip -n "$ns_a" link set "$prefix-ea" up
  ip -n "$ns_a" route add default via "$nat_inside"
else
  ip -n "$ns_sw" link add "$prefix-pa" type veth peer name "$prefix-ea" netns "$ns_a"
  ip -n "$ns_sw" link set "$prefix-pa" master "$bridge" up
  ip -n "$ns_a" addr add "$address_a/$subnet_length" dev "$prefix-ea"
  ip -n "$ns_a" link set "$prefix-ea" up
fi
ip -n "$ns_sw" link add "$prefix-pb" type veth peer name "$prefix-eb" netns "$ns_b"
ip -n "$ns_sw" link set "$prefix-pb" master "$bridge" up
ip -n "$ns_b" addr add "$address_b/$subnet_length" dev "$prefix-eb"
ip -n "$ns_b" link set "$prefix-eb" up

# --- Certificates -------------------------------------------------------------

step "Making a throwaway CA and node certificates (CN = node address)"
ca="$work/ca"
mkdir -p "$ca"
openssl genrsa -out "$ca/rootCA.key" 2048 2>/dev/null
openssl req -x509 -new -nodes -key "$ca/rootCA.key" -sha256 -days 2 \
  -subj "/CN=ipop-esp demo CA" -out "$ca/rootCA.pem"
for node in a b; do
  dir="$work/$node"
  address_var="address_$node"
  mkdir -p "$dir/certs"
  openssl genrsa -out "$dir/certs/key.pem" 2048 2>/dev/null
  openssl req -new -key "$dir/certs/key.pem" -subj "/CN=${!address_var}" -out "$dir/node.csr"
  openssl x509 -req -in "$dir/node.csr" -CA "$ca/rootCA.pem" -CAkey "$ca/rootCA.key" \
    -CAcreateserial -days 2 -sha256 -out "$dir/certs/cert.pem" 2>/dev/null
  cp "$ca/rootCA.pem" "$dir/certs/rootCA.pem"
  openssl x509 -in "$dir/certs/cert.pem" -noout -subject | sed "s/^/  node $node: /"
done

# --- Configuration ------------------------------------------------------------

# The racoon.conf of the IPOP "IPsec with racoon" recipe; only the address and
# the paths differ between nodes. The policy pair covers both nodes.
write_racoon_conf() {
  local address="$1" dir="$2"
  cat >"$dir/racoon.conf" <<EOF
path pre_shared_key "$dir/psk.txt";
path certificate "$dir/certs";

listen
{   # public IP endpoint for self.
    isakmp $address [500];
    isakmp_natt $address [4500];
}

remote anonymous {
        proposal {
                encryption_algorithm 3des;
                hash_algorithm sha1;
                authentication_method rsasig;
        dh_group modp1024;
        }
        certificate_type x509 "cert.pem" "key.pem";
        ca_type x509 "rootCA.pem" ;
        my_identifier asn1dn ;
        verify_identifier off;
        exchange_mode main;
        nat_traversal $nat_traversal;
}
sainfo anonymous {
     authentication_algorithm hmac_sha1;
     compression_algorithm deflate;
        pfs_group modp1024;
        encryption_algorithm 3des;
}
EOF
  cat >"$dir/setkey.conf" <<EOF
spdadd $policy_range $policy_range any -P out ipsec esp/transport//require;
spdadd $policy_range $policy_range any -P in ipsec esp/transport//require;
EOF
  # Not used with rsasig, but racoon.conf names it and the loader checks it.
  install -m 0600 /dev/null "$dir/psk.txt"
}
write_racoon_conf "$address_a" "$work/a"
write_racoon_conf "$address_b" "$work/b"
for node in a b; do
  "$esp_cli" check -f "$work/$node/racoon.conf" --setkey "$work/$node/setkey.conf" | sed "s/^/  /"
done

# --- Daemons and capture ------------------------------------------------------

step "Starting tcpdump on the switch"
# The capture listens on every interface of the switch namespace (both
# bridge ports and the bridge), so it sees each frame that crosses it.
ip netns exec "$ns_sw" tcpdump -i any -n -U -w "$work/switch.pcap" 2>"$work/tcpdump.log" &
pids+=($!)
tcpdump_pid=$!
for _ in $(seq 50); do
  grep -q "listening on" "$work/tcpdump.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening on" "$work/tcpdump.log" || fail "tcpdump did not start: $(cat "$work/tcpdump.log")"

step "Starting ipop-espd in $ns_a and $ns_b"
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
  grep "started" "$work/$node/daemon.log" | sed "s/^/  node $node: /"
done

# --- Traffic --------------------------------------------------------------------

step "Ping $address_a -> $address_b (the first packet starts IKE)"
ip netns exec "$ns_a" ping -n -c 3 -i 0.5 -w 30 "$address_b" | sed "s/^/  /" ||
  fail "ping from $address_a to $address_b did not get 3 replies within 30 s"

step "Sending $transfer_bytes bytes over TCP $address_a -> $address_b:$transfer_port"
head -c "$transfer_bytes" /dev/urandom >"$work/sent.bin"
ip netns exec "$ns_b" timeout 120 python3 - "$address_b" "$transfer_port" "$work/received.bin" \
  >"$work/receiver.log" 2>&1 <<'EOF' &
import socket, sys
address, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((address, port))
listener.listen(1)
print("listening", flush=True)
connection, _ = listener.accept()
with open(path, "wb") as out:
    while True:
        chunk = connection.recv(65536)
        if not chunk:
            break
        out.write(chunk)
EOF
receiver_pid=$!
pids+=("$receiver_pid")
for _ in $(seq 50); do
  grep -q listening "$work/receiver.log" 2>/dev/null && break
  sleep 0.1
done
ip netns exec "$ns_a" timeout 120 python3 - "$address_b" "$transfer_port" "$work/sent.bin" <<'EOF' ||
import socket, sys
address, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with socket.create_connection((address, port), timeout=30) as connection, open(path, "rb") as data:
    connection.sendfile(data)
    connection.shutdown(socket.SHUT_WR)
EOF
  fail "TCP sender failed"
wait "$receiver_pid" || fail "TCP receiver failed: $(cat "$work/receiver.log")"
sent_sum="$(sha256sum <"$work/sent.bin" | cut -d' ' -f1)"
received_sum="$(sha256sum <"$work/received.bin" | cut -d' ' -f1)"
echo "  sent     sha256 $sent_sum"
echo "  received sha256 $received_sum ($(stat -c %s "$work/received.bin") bytes)"
[ "$sent_sum" = "$received_sum" ] || fail "SHA-256 of the received data differs from what was sent"

# --- Results --------------------------------------------------------------------

for node in a b; do
  step "ipop-esp sa and status on node $node"
  ip netns exec "$prefix-$node" "$esp_cli" --control "$work/$node/ipop-espd.sock" sa | sed "s/^/  /"
  ip netns exec "$prefix-$node" "$esp_cli" --control "$work/$node/ipop-espd.sock" status | sed "s/^/  /"
done

step "Stopping the daemons"
for node in a b; do
  kill -TERM "${daemon_pid[$node]}"
  wait "${daemon_pid[$node]}" || fail "ipop-espd on node $node exited with status $?"
  grep "stopped" "$work/$node/daemon.log" | sed "s/^/  node $node: /"
done
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true

for node in a b; do
  step "Established lines of node $node"
  grep -E "ISAKMP-SA established|IPsec-SA established" "$work/$node/daemon.log" | sed "s/^/  /" || true
  grep -q "ISAKMP-SA established" "$work/$node/daemon.log" ||
    fail "node $node logged no ISAKMP-SA established line"
  grep -q "IPsec-SA established" "$work/$node/daemon.log" ||
    fail "node $node logged no IPsec-SA established line"
done

if [ "$nat" -eq 1 ]; then
  step "NAT detection"
  grep -h "NAT detected" "$work/a/daemon.log" | sort -u | sed "s/^/  node a: /"
  grep -h "NAT detected" "$work/b/daemon.log" | sort -u | sed "s/^/  node b: /"
  grep -q "NAT detected: ME" "$work/a/daemon.log" || fail "node a did not log NAT detected: ME"
  grep -q "NAT detected: PEER" "$work/b/daemon.log" || fail "node b did not log NAT detected: PEER"
fi

step "Checking the capture on the switch"
count() { tcpdump -r "$work/switch.pcap" -n "$1" 2>/dev/null | wc -l; }
between_nodes="ip and host $outside_a and host $address_b"
esp_packets="$(count "$between_nodes and esp")"
ike_packets="$(count "$between_nodes and udp and (port 500 or port 4500)")"
clear_icmp_tcp="$(count "$between_nodes and (icmp or tcp)")"
other_packets="$(count "$between_nodes and not esp and not (udp and (port 500 or port 4500))")"
echo "  ESP packets:             $esp_packets"
echo "  UDP 500/4500 (IKE, and ESP in UDP with NAT-T): $ike_packets"
echo "  cleartext ICMP or TCP:   $clear_icmp_tcp"
echo "  anything else:           $other_packets"
if [ "$nat" -eq 1 ] || [ "$nat_traversal" = force ]; then
  # ESP in UDP starts with its non-zero SPI, IKE on port 4500 with the zero
  # non-ESP marker (RFC 3948 §2).
  esp_in_udp="$(count "$between_nodes and udp port 4500 and udp[8:4] != 0")"
  echo "  ESP in UDP 4500:         $esp_in_udp"
  [ "$esp_in_udp" -gt 0 ] || fail "no ESP in UDP crossed the switch"
  [ "$esp_packets" -eq 0 ] || fail "plain ESP crossed the switch; with NAT-T it must travel in UDP"
else
  [ "$esp_packets" -gt 0 ] || fail "no ESP crossed the switch"
fi
[ "$ike_packets" -gt 0 ] || fail "no IKE crossed the switch"
[ "$clear_icmp_tcp" -eq 0 ] || fail "cleartext ICMP or TCP crossed the switch"
[ "$other_packets" -eq 0 ] || fail "packets other than ESP and IKE crossed the switch"
