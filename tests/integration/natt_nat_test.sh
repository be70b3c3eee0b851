#!/usr/bin/env bash
# NAT traversal through a real NAT: nftables masquerade in a router
# namespace between nodes with private addresses and a public node.
#
#   PREFIX-a  10.1.0.2 --+                                   PREFIX-c
#   PREFIX-a2 10.1.0.3 --+-- bridge -- 10.1.0.1 [PREFIX-nat] 10.2.0.1 ---- 10.2.0.10
#   (two-peers only)        PREFIX-br   masquerade out of PREFIX-ou      ipop-espd
#                                       tcpdump on PREFIX-ou
#
# same-address puts both nodes on 10.1.0.2, each on its own link:
#
#   PREFIX-a  10.1.0.2 ---- PREFIX-pa  10.1.0.1 [PREFIX-nat] 10.2.0.1 ---- 10.2.0.10
#   PREFIX-a2 10.1.0.2 ---- PREFIX-pa2 10.1.0.1   zone 1, mark 1 / zone 2, mark 2
#
# There the NAT keeps the two nodes' connections apart with conntrack zones
# that apply to the original direction only ("ct original zone set"), so
# both nodes' identical tuples get separate entries while replies from
# outside are looked up by their (unique) NATed tuple. A conntrack mark per
# inside link, copied to the replies, selects a routing table that reaches
# 10.1.0.0/24 through that link.
#
# Topologies (--topology):
#   one-peer      node a behind the NAT pings c and sends a few MB over TCP.
#   two-peers     nodes a and a2, both behind the NAT with their own private
#                 addresses, negotiate with c, ping it and exchange a few MB
#                 with it over TCP in both directions, all at the same time.
#   same-address  like two-peers, but both nodes have the same private
#                 address. Their pings use different ICMP identifiers and
#                 their TCP connections different source ports. To c both
#                 nodes have the NAT's address, so two identical inner
#                 flows would be one flow to c's own stack.
#   remap         like one-peer, but while a ping runs the NAT's conntrack
#                 entries are flushed and its masquerade port range changed,
#                 so a's UDP 4500 mapping moves to a new public port.
#
# Policies name the addresses each node sees. In transport mode the SA runs
# between the ISAKMP endpoints, so a node behind the NAT protects
# "its private address <-> c's address", and c protects "c's address <->
# the NAT's public address" (one pair covers every peer behind that NAT).
#
# Checks: ISAKMP-SA and IPsec-SA established, "NAT detected" on both sides,
# ping replies, SHA-256 of the TCP transfer, and on the capture outside the
# NAT: no encrypted IKE on UDP 500 (IKE floats at Main Mode message 5), ESP
# in UDP 4500, and nothing but UDP 500 and 4500 between the NAT and c.
#
# Usage: natt_nat_test.sh BIN_DIR [--topology one-peer|two-peers|same-address|remap]
#                         [--prefix NAME] [--keep]
# Exits 77 (skipped) without root or without nft.
set -euo pipefail

bin_dir="${1:?usage: natt_nat_test.sh BIN_DIR [--topology NAME] [--prefix NAME] [--keep]}"
shift
topology="one-peer"
prefix="ipninat"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --topology) topology="$2"; shift ;;
    --prefix) prefix="$2"; shift ;;
    --keep) keep=1 ;;
    *) echo "natt_nat_test: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case "$topology" in
  one-peer|two-peers|same-address|remap) ;;
  *) echo "natt_nat_test: unknown topology $topology" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "natt_nat_test: SKIPPED, needs root for network namespaces"
  exit 77
fi
for tool in ip nft tcpdump openssl python3 sha256sum; do
  if ! command -v "$tool" >/dev/null; then
    echo "natt_nat_test: SKIPPED, $tool not found (tools/install-deps.sh installs it)"
    exit 77
  fi
done
if [ "$topology" = "remap" ] && ! command -v conntrack >/dev/null; then
  echo "natt_nat_test: SKIPPED, conntrack not found (tools/install-deps.sh installs it)"
  exit 77
fi

espd="$bin_dir/ipop-espd"
[ -x "$espd" ] || espd="$bin_dir/tools/ipop-espd"
esp_cli="$(dirname "$espd")/ipop-esp"
[ -x "$espd" ] || { echo "natt_nat_test: ipop-espd not found in $bin_dir" >&2; exit 1; }

readonly ns_nat="$prefix-nat" ns_c="$prefix-c"
readonly nat_inside="10.1.0.1" nat_outside="10.2.0.1" address_c="10.2.0.10"
readonly transfer_port=5001 transfer_bytes=$((4 * 1024 * 1024))
declare -A address=([a]="10.1.0.2" [a2]="10.1.0.3" [c]="$address_c")
inside_nodes=(a)
if [ "$topology" = "two-peers" ] || [ "$topology" = "same-address" ]; then
  inside_nodes=(a a2)
fi
if [ "$topology" = "same-address" ]; then
  address[a2]="${address[a]}"
fi
all_nodes=("${inside_nodes[@]}" c)

work="$(mktemp -d "/tmp/$prefix.XXXXXX")"
pids=()
step() { printf '\n== %s\n' "$*"; }
fail() { echo "natt_nat_test: FAILED: $*" >&2; exit 1; }
ns_of() { echo "$prefix-$1"; }

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
    for node in "${all_nodes[@]}"; do
      if [ -f "$work/$node/daemon.log" ]; then
        echo "--- last lines of node $node's daemon log" >&2
        tail -n 30 "$work/$node/daemon.log" >&2
      fi
    done
  fi
  for node in "${all_nodes[@]}" nat; do
    ip netns del "$(ns_of "$node")" 2>/dev/null
  done
  if [ "$keep" -eq 1 ]; then
    echo "natt_nat_test: work directory kept: $work"
  else
    rm -rf "$work"
  fi
  [ "$status" -eq 0 ] && echo "natt_nat_test: PASSED ($topology)"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Topology -----------------------------------------------------------------

step "Creating namespaces with prefix $prefix ($topology)"
for node in "${all_nodes[@]}" nat; do
  ns="$(ns_of "$node")"
  if ip netns list | grep -qw "^$ns"; then
    fail "namespace $ns already exists; remove it with: ip netns del $ns"
  fi
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
if [ "$topology" = "same-address" ]; then
  # Inside: one link per node, each with the same subnet. The routes to
  # 10.1.0.0/24 live in one table per link, chosen by the packet mark.
  link_number=0
  for node in "${inside_nodes[@]}"; do
    link_number=$((link_number + 1))
    ip -n "$ns_nat" link add "$prefix-p$node" type veth peer name "$prefix-e$node" netns "$(ns_of "$node")"
    ip -n "$ns_nat" addr add "$nat_inside/24" dev "$prefix-p$node" noprefixroute
    ip -n "$ns_nat" link set "$prefix-p$node" up
    ip -n "$ns_nat" route add 10.1.0.0/24 dev "$prefix-p$node" table $((100 + link_number))
    ip -n "$ns_nat" rule add fwmark "$link_number" lookup $((100 + link_number))
  done
  ip netns exec "$ns_nat" sysctl -qw net.ipv4.conf.all.rp_filter=0
  ip netns exec "$ns_nat" sysctl -qw net.ipv4.conf.default.rp_filter=0
else
  # Inside: a bridge in the NAT namespace joins the private nodes.
  ip -n "$ns_nat" link add "$prefix-br" type bridge
  ip -n "$ns_nat" link set "$prefix-br" up
  ip -n "$ns_nat" addr add "$nat_inside/24" dev "$prefix-br"
  for node in "${inside_nodes[@]}"; do
    ip -n "$ns_nat" link add "$prefix-p$node" type veth peer name "$prefix-e$node" netns "$(ns_of "$node")"
    ip -n "$ns_nat" link set "$prefix-p$node" master "$prefix-br" up
  done
fi
for node in "${inside_nodes[@]}"; do
  ns="$(ns_of "$node")"
  ip -n "$ns" addr add "${address[$node]}/24" dev "$prefix-e$node"
  ip -n "$ns" link set "$prefix-e$node" up
  ip -n "$ns" route add default via "$nat_inside"
done
# Outside: one link to the public node, which has no route to 10.1.0.0/24.
ip -n "$ns_nat" link add "$prefix-ou" type veth peer name "$prefix-ec" netns "$ns_c"
ip -n "$ns_nat" addr add "$nat_outside/24" dev "$prefix-ou"
ip -n "$ns_nat" link set "$prefix-ou" up
ip -n "$ns_c" addr add "$address_c/24" dev "$prefix-ec"
ip -n "$ns_c" link set "$prefix-ec" up
ip netns exec "$ns_nat" sysctl -qw net.ipv4.ip_forward=1

# Masquerade with an explicit port range, so that the remap topology can
# move the mapping by changing it.
nat_rule() {
  if ip netns exec "$ns_nat" nft list table ip nat >/dev/null 2>&1; then
    ip netns exec "$ns_nat" nft delete table ip nat
  fi
  ip netns exec "$ns_nat" nft -f - <<NFT
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat;
    oifname "$prefix-ou" ip saddr 10.1.0.0/24 meta l4proto { tcp, udp } masquerade to :$1
    oifname "$prefix-ou" ip saddr 10.1.0.0/24 masquerade
  }
}
NFT
}
nat_rule 20000-29999
if [ "$topology" = "same-address" ]; then
  ip netns exec "$ns_nat" nft -f - <<NFT
table ip zones {
  chain raw_prerouting {
    type filter hook prerouting priority raw;
    iifname "$prefix-pa" ct original zone set 1
    iifname "$prefix-pa2" ct original zone set 2
  }
  chain mangle_prerouting {
    type filter hook prerouting priority mangle;
    iifname "$prefix-pa" ct mark set 1
    iifname "$prefix-pa2" ct mark set 2
    iifname "$prefix-ou" meta mark set ct mark
  }
}
NFT
fi

# --- Certificates and configuration ---------------------------------------------

step "Making a throwaway CA and node certificates"
mkdir -p "$work/ca"
openssl genrsa -out "$work/ca/rootCA.key" 2048 2>/dev/null
openssl req -x509 -new -nodes -key "$work/ca/rootCA.key" -sha256 -days 2 \
  -subj "/CN=ipop-esp NAT test CA" -out "$work/ca/rootCA.pem"
for node in "${all_nodes[@]}"; do
  dir="$work/$node"
  mkdir -p "$dir/certs"
  openssl genrsa -out "$dir/certs/key.pem" 2048 2>/dev/null
  openssl req -new -key "$dir/certs/key.pem" -subj "/CN=${address[$node]}" -out "$dir/node.csr"
  openssl x509 -req -in "$dir/node.csr" -CA "$work/ca/rootCA.pem" -CAkey "$work/ca/rootCA.key" \
    -CAcreateserial -days 2 -sha256 -out "$dir/certs/cert.pem" 2>/dev/null
  cp "$work/ca/rootCA.pem" "$dir/certs/rootCA.pem"
  install -m 0600 /dev/null "$dir/psk.txt"
  cat >"$dir/racoon.conf" <<CONF
path pre_shared_key "$dir/psk.txt";
path certificate "$dir/certs";
listen {
    isakmp ${address[$node]} [500];
    isakmp_natt ${address[$node]} [4500];
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
CONF
  if [ "$node" = "c" ]; then
    local_range="$address_c/32" remote_range="$nat_outside/32"
  else
    local_range="${address[$node]}/32" remote_range="$address_c/32"
  fi
  cat >"$dir/setkey.conf" <<SPD
spdadd $local_range $remote_range any -P out ipsec esp/transport//require;
spdadd $remote_range $local_range any -P in ipsec esp/transport//require;
SPD
  "$esp_cli" check -f "$dir/racoon.conf" --setkey "$dir/setkey.conf" >/dev/null ||
    fail "configuration of node $node is invalid"
done

# --- Capture and daemons ------------------------------------------------------------

step "Starting tcpdump outside the NAT and the daemons"
ip netns exec "$ns_nat" tcpdump -i "$prefix-ou" -n -U -w "$work/outside.pcap" 2>"$work/tcpdump.log" &
pids+=($!)
tcpdump_pid=$!
for _ in $(seq 50); do
  grep -q "listening on" "$work/tcpdump.log" 2>/dev/null && break
  sleep 0.1
done
declare -A daemon_pid
for node in "${all_nodes[@]}"; do
  dir="$work/$node"
  ip netns exec "$(ns_of "$node")" "$espd" -F -d -f "$dir/racoon.conf" --setkey "$dir/setkey.conf" \
    --control "$dir/ipop-espd.sock" --tun ipniesp0 2>"$dir/daemon.log" &
  pids+=($!)
  daemon_pid[$node]=$!
done
for node in "${all_nodes[@]}"; do
  for _ in $(seq 100); do
    [ -S "$work/$node/ipop-espd.sock" ] && break
    kill -0 "${daemon_pid[$node]}" 2>/dev/null || fail "ipop-espd on node $node exited during start"
    sleep 0.1
  done
  [ -S "$work/$node/ipop-espd.sock" ] || fail "ipop-espd on node $node did not open its control socket"
done

# --- Traffic ----------------------------------------------------------------------

transfer() {
  local node="$1"
  head -c "$transfer_bytes" /dev/urandom >"$work/$node/sent.bin"
  ip netns exec "$ns_c" timeout 120 python3 - "$address_c" "$transfer_port" "$work/$node/received.bin" \
    >"$work/$node/receiver.log" 2>&1 <<'PY' &
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
PY
  local receiver=$!
  pids+=("$receiver")
  for _ in $(seq 50); do
    grep -q listening "$work/$node/receiver.log" 2>/dev/null && break
    sleep 0.1
  done
  ip netns exec "$(ns_of "$node")" timeout 120 python3 - "$address_c" "$transfer_port" "$work/$node/sent.bin" <<'PY' ||
import socket, sys
address, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with socket.create_connection((address, port), timeout=30) as connection, open(path, "rb") as data:
    connection.sendfile(data)
    connection.shutdown(socket.SHUT_WR)
PY
    fail "TCP sender on node $node failed"
  wait "$receiver" || fail "TCP receiver for node $node failed: $(cat "$work/$node/receiver.log")"
  local sent received
  sent="$(sha256sum <"$work/$node/sent.bin" | cut -d' ' -f1)"
  received="$(sha256sum <"$work/$node/received.bin" | cut -d' ' -f1)"
  echo "  node $node: sent sha256 $sent, received $received"
  [ "$sent" = "$received" ] || fail "SHA-256 of node $node's transfer differs"
}

# Both ends of a full-duplex TCP exchange: each end sends its file while it
# receives the other end's file until EOF. "server" listens and accepts one
# connection; "client" connects from a fixed source port.
cat >"$work/exchange.py" <<'PY'
import socket, sys, threading
role, address, port, local_port, send_path, receive_path = sys.argv[1:7]
if role == "server":
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, int(port)))
    listener.listen(1)
    print("listening", flush=True)
    connection, peer = listener.accept()
    print("accepted", peer, flush=True)
else:
    connection = socket.create_connection((address, int(port)), timeout=60,
                                          source_address=("", int(local_port)))
connection.settimeout(60)

def send():
    with open(send_path, "rb") as data:
        while chunk := data.read(65536):
            connection.sendall(chunk)
    connection.shutdown(socket.SHUT_WR)

sender = threading.Thread(target=send)
sender.start()
with open(receive_path, "wb") as out:
    while chunk := connection.recv(65536):
        out.write(chunk)
sender.join()
connection.close()
print("done", flush=True)
PY

# Starts a ping from every inside node at once, each with its own ICMP
# identifier, then checks that each node got its replies.
concurrent_pings() {
  local node identifier=4000 count=20
  declare -A ping_pid
  for node in "${inside_nodes[@]}"; do
    identifier=$((identifier + 1))
    ip netns exec "$(ns_of "$node")" ping -n -c "$count" -i 0.2 -w 40 -e "$identifier" "$address_c" \
      >"$work/$node/ping.log" 2>&1 &
    ping_pid[$node]=$!
    pids+=($!)
  done
  for node in "${inside_nodes[@]}"; do
    wait "${ping_pid[$node]}" || true
    tail -n 2 "$work/$node/ping.log" | sed "s/^/  node $node: /"
    # The first requests wait while the SAs are negotiated; later ones must
    # all come back, and the last one must.
    local received
    received="$(grep -c "bytes from" "$work/$node/ping.log" || true)"
    [ "$received" -ge $((count - 4)) ] || fail "node $node got only $received of $count ping replies"
    grep -q "icmp_seq=$count " "$work/$node/ping.log" || fail "node $node got no reply to its last ping"
  done
}

# Runs a full-duplex TCP exchange of $transfer_bytes each way between every
# inside node and c at once: node a on port 5001 from source port 41001,
# node a2 on 5002 from 41002. c sends each node its own random file, so a
# reply that reached the wrong node would break the checksum or the
# connection.
concurrent_transfers() {
  local node number=0
  declare -A server_pid client_pid
  for node in "${inside_nodes[@]}"; do
    number=$((number + 1))
    head -c "$transfer_bytes" /dev/urandom >"$work/$node/up.bin"
    head -c "$transfer_bytes" /dev/urandom >"$work/$node/down.bin"
    ip netns exec "$ns_c" timeout 180 python3 "$work/exchange.py" server "$address_c" \
      $((transfer_port + number - 1)) 0 "$work/$node/down.bin" "$work/$node/up.received" \
      >"$work/$node/server.log" 2>&1 &
    server_pid[$node]=$!
    pids+=($!)
  done

  for node in "${inside_nodes[@]}"; do
    for _ in $(seq 50); do
      grep -q listening "$work/$node/server.log" 2>/dev/null && break
      sleep 0.1
    done
  done

  number=0
  for node in "${inside_nodes[@]}"; do
    number=$((number + 1))
    ip netns exec "$(ns_of "$node")" timeout 180 python3 "$work/exchange.py" client "$address_c" \
      $((transfer_port + number - 1)) $((41000 + number)) "$work/$node/up.bin" \
      "$work/$node/down.received" >"$work/$node/client.log" 2>&1 &
    client_pid[$node]=$!
    pids+=($!)
  done

  for node in "${inside_nodes[@]}"; do
    wait "${client_pid[$node]}" || fail "TCP client on node $node failed: $(cat "$work/$node/client.log")"
    wait "${server_pid[$node]}" || fail "TCP server for node $node failed: $(cat "$work/$node/server.log")"
  done

  for node in "${inside_nodes[@]}"; do
    sed -n "s/^accepted/  c accepted node $node's connection from/p" "$work/$node/server.log"
    local direction sent received
    for direction in up down; do
      sent="$(sha256sum <"$work/$node/$direction.bin" | cut -d' ' -f1)"
      received="$(sha256sum <"$work/$node/$direction.received" | cut -d' ' -f1)"
      echo "  node $node $direction: sent sha256 $sent, received $received"
      [ "$sent" = "$received" ] || fail "SHA-256 of node $node's $direction transfer differs"
    done
  done
}

if [ "${#inside_nodes[@]}" -gt 1 ]; then
  step "Pinging $address_c from ${inside_nodes[*]} at the same time"
  concurrent_pings
  step "Exchanging $transfer_bytes bytes each way over TCP between c and ${inside_nodes[*]} at the same time"
  concurrent_transfers
else
  step "Ping ${address[a]} -> $address_c through the NAT"
  ip netns exec "$(ns_of a)" ping -n -c 3 -i 0.5 -w 30 "$address_c" | sed "s/^/  /" ||
    fail "ping from node a got no 3 replies within 30 s"
  step "Sending $transfer_bytes bytes over TCP from node a"
  transfer a
fi

if [ "$topology" = "remap" ]; then
  step "Changing the NAT mapping while a ping runs"
  ip netns exec "$ns_nat" conntrack -L -p udp 2>/dev/null | sed "s/^/  before: /"
  ip netns exec "$(ns_of a)" ping -n -c 40 -i 0.25 "$address_c" >"$work/remap-ping.log" 2>&1 &
  ping_pid=$!
  pids+=("$ping_pid")
  sleep 2
  nat_rule 30000-39999
  ip netns exec "$ns_nat" conntrack -F 2>/dev/null
  wait "$ping_pid" || true
  ip netns exec "$ns_nat" conntrack -L -p udp 2>/dev/null | sed "s/^/  after: /"
  tail -n 3 "$work/remap-ping.log" | sed "s/^/  /"
  # The mapping moves with a's next packet, and c's data path then sends
  # to the new port. Replies may pause briefly, so most pings must come
  # back, and the last one must.
  received="$(grep -c "bytes from" "$work/remap-ping.log" || true)"
  [ "$received" -ge 30 ] || fail "only $received of 40 pings answered across the NAT mapping change"
  grep -q "icmp_seq=40 " "$work/remap-ping.log" || fail "the last ping after the mapping change got no reply"
  step "Sending $transfer_bytes bytes over TCP after the mapping change"
  transfer a
fi

# --- Results ------------------------------------------------------------------------

for node in "${all_nodes[@]}"; do
  step "ipop-esp sa on node $node"
  ip netns exec "$(ns_of "$node")" "$esp_cli" --control "$work/$node/ipop-espd.sock" sa | sed "s/^/  /"
done
for node in "${all_nodes[@]}"; do
  kill -TERM "${daemon_pid[$node]}"
  wait "${daemon_pid[$node]}" || fail "ipop-espd on node $node exited with status $?"
done
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true

step "Checking the logs"
for node in "${all_nodes[@]}"; do
  log="$work/$node/daemon.log"
  grep -E "NAT detected|NAT not detected" "$log" | sed "s/^/  node $node: /" | sort -u
  grep -q "ISAKMP-SA established" "$log" || fail "node $node logged no ISAKMP-SA established"
  grep -q "IPsec-SA established" "$log" || fail "node $node logged no IPsec-SA established"
done
for node in "${inside_nodes[@]}"; do
  grep -q "NAT detected: ME" "$work/$node/daemon.log" || fail "node $node did not log NAT detected: ME"
done
grep -q "NAT detected: PEER" "$work/c/daemon.log" || fail "node c did not log NAT detected: PEER"

step "Checking the capture outside the NAT"
between="ip and host $nat_outside and host $address_c"
count() { tcpdump -r "$work/outside.pcap" -n "$1" 2>/dev/null | wc -l; }
udp_500="$(count "$between and udp port 500")"
udp_4500="$(count "$between and udp port 4500")"
# After the remap flushes the NAT's conntrack entries, node c's next packet
# to the old mapping reaches no one, and the NAT replies with ICMP
# destination unreachable. Such errors carry no payload of ours.
unreachable="icmp and icmp[icmptype] == icmp-unreach"
other="$(count "$between and not (udp and (port 500 or port 4500)) and not ($unreachable)")"
echo "  UDP 500: $udp_500  UDP 4500: $udp_4500  ICMP unreachable: $(count "$between and $unreachable")  other: $other"
if [ "$other" -ne 0 ]; then
  tcpdump -r "$work/outside.pcap" -n "$between and not (udp and (port 500 or port 4500)) and not ($unreachable)" \
    2>/dev/null | head -n 10 | sed 's/^/  /'
fi
[ "$udp_500" -ge 4 ] || fail "fewer than 4 IKE messages on UDP 500"
[ "$udp_4500" -gt 0 ] || fail "nothing on UDP 4500"
[ "$other" -eq 0 ] || fail "packets other than UDP 500 and 4500 crossed the NAT (ESP without UDP or cleartext)"
# Main Mode messages 1 to 4 are the only unencrypted IKE messages. Every
# later one (message 5 on, Quick Mode, Informational) sets the encryption
# flag, bit 0 of the ISAKMP header's byte 19 (RFC 2408 §3.1), and must have
# floated to port 4500.
encrypted_500="$(count "$between and udp port 500 and (udp[27] & 1) != 0")"
echo "  encrypted IKE on UDP 500: $encrypted_500"
[ "$encrypted_500" -eq 0 ] || fail "IKE after Main Mode message 4 used UDP 500 instead of 4500"
esp_in_udp="$(tcpdump -r "$work/outside.pcap" -n "$between and udp port 4500 and udp[8:4] != 0" 2>/dev/null | wc -l)"
echo "  ESP in UDP: $esp_in_udp"
[ "$esp_in_udp" -gt 0 ] || fail "no ESP-in-UDP packets crossed the NAT"
