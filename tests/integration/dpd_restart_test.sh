#!/usr/bin/env bash
# Dead Peer Detection and peer restarts between two ipop-espd nodes.
#
#   namespace PREFIX-a                     namespace PREFIX-b
#   10.77.0.1/24 PREFIX-ea  <--- veth --->  PREFIX-eb 10.77.0.2/24
#   ipop-espd (TUN iptesp0)                ipop-espd (TUN iptesp0)
#
# Both nodes use the racoon vector certificates and probe with dpd_delay 2,
# dpd_retry 1 and dpd_maxfail 3, so an idle peer is dead 5 to 7 seconds
# after its last packet.
#
# --scenario link-cut: a 6 s ping must not make either node send R-U-THERE,
# because inbound ESP proves the peer alive. Then node b's end of the link
# goes down. Node a must log the peer dead and remove its SAs, and once the
# link is back, a ping from a renegotiates.
#
# --scenario restart: node b is killed with SIGKILL (no Deletes, as in a
# crash) and started again. A ping from a, the surviving node, must get
# replies within 20 s: a keeps sending on SAs that b no longer has, so its
# DPD has to find b dead first. A ping from b then works at once. Node a is
# then killed and restarted, and a ping from a, now the restarted node,
# works within 5 s because its INITIAL-CONTACT makes b drop the old SAs.
#
# Usage: dpd_restart_test.sh BIN_DIR --scenario link-cut|restart [--prefix NAME]
#   BIN_DIR contains ipop-espd and ipop-esp. NAME (default iptdpd) prefixes
#   the namespaces and interfaces and has at most 11 characters.
# Exits 77 (skipped) without root, a TUN device, ip or ping.
set -euo pipefail

top="$(cd "$(dirname "$0")/../.." && pwd)"
bin_dir="${1:?usage: dpd_restart_test.sh BIN_DIR --scenario link-cut|restart}"
shift
scenario=""
prefix="iptdpd"
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) scenario="$2"; shift ;;
    --prefix) prefix="$2"; shift ;;
    *) echo "dpd_restart_test: unknown option $1; use --scenario and --prefix" >&2; exit 2 ;;
  esac
  shift
done
if [ "${#prefix}" -gt 11 ]; then
  echo "dpd_restart_test: --prefix \"$prefix\" is longer than 11 characters" >&2
  exit 2
fi
case "$scenario" in
  link-cut|restart) ;;
  *) echo "dpd_restart_test: --scenario \"$scenario\" is invalid; use link-cut or restart" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "dpd_restart_test: SKIPPED: needs root for network namespaces"
  exit 77
fi
if [ ! -c /dev/net/tun ]; then
  echo "dpd_restart_test: SKIPPED: /dev/net/tun is missing"
  exit 77
fi
for program in ip ping; do
  if ! command -v "$program" >/dev/null; then
    echo "dpd_restart_test: SKIPPED: $program not found (run tools/install-deps.sh)"
    exit 77
  fi
done
espd="$bin_dir/ipop-espd"
esp_cli="$bin_dir/ipop-esp"
for binary in "$espd" "$esp_cli"; do
  [ -x "$binary" ] || { echo "dpd_restart_test: $binary not found; build it first" >&2; exit 1; }
done

readonly ns_a="$prefix-a" ns_b="$prefix-b"
readonly address_a="10.77.0.1" address_b="10.77.0.2"
readonly vectors="$top/tests/vectors/racoon-3des-sha1-modp1024/certs"
work="$(mktemp -d "/tmp/$prefix.XXXXXX")"
declare -A daemon_pid=()

cleanup() {
  local status=$?
  set +e
  for node in "${!daemon_pid[@]}"; do
    kill -TERM "${daemon_pid[$node]}" 2>/dev/null
    wait "${daemon_pid[$node]}" 2>/dev/null
  done
  if [ "$status" -ne 0 ]; then
    for node in a b; do
      for log in "$work/$node"/daemon*.log; do
        [ -f "$log" ] || continue
        echo "--- last lines of $log" >&2
        tail -n 30 "$log" >&2
      done
    done
  fi
  ip netns del "$ns_a" 2>/dev/null
  ip netns del "$ns_b" 2>/dev/null
  rm -rf "$work"
  [ "$status" -eq 0 ] && echo "dpd_restart_test ($scenario): PASSED"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "dpd_restart_test ($scenario): FAILED: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

# --- Topology and configuration -------------------------------------------------

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

for node in a b; do
  address_var="address_$node"
  dir="$work/$node"
  mkdir -p "$dir/certs"
  install -m 0644 "$vectors/${!address_var}/cert.pem" "$dir/certs/cert.pem"
  install -m 0600 "$vectors/${!address_var}/key.pem" "$dir/certs/key.pem"
  install -m 0644 "$vectors/rootCA.pem" "$dir/certs/rootCA.pem"
  cat >"$dir/racoon.conf" <<EOF
path certificate "$dir/certs";
listen {
        isakmp ${!address_var} [500];
        isakmp_natt ${!address_var} [4500];
}
remote anonymous {
        exchange_mode main;
        certificate_type x509 "cert.pem" "key.pem";
        ca_type x509 "rootCA.pem";
        my_identifier asn1dn;
        verify_identifier off;
        dpd_delay 2;
        dpd_retry 1;
        dpd_maxfail 3;
        proposal {
                encryption_algorithm 3des;
                hash_algorithm sha1;
                authentication_method rsasig;
                dh_group modp1024;
        }
}
sainfo anonymous {
        encryption_algorithm 3des;
        authentication_algorithm hmac_sha1;
        compression_algorithm deflate;
        pfs_group modp1024;
}
EOF
  cat >"$dir/setkey.conf" <<EOF
spdadd 10.77.0.0/24 10.77.0.0/24 any -P out ipsec esp/transport//require;
spdadd 10.77.0.0/24 10.77.0.0/24 any -P in ipsec esp/transport//require;
EOF
done

# --- Helpers ------------------------------------------------------------------------

starts=0
start_daemon() {
  local node="$1" dir="$work/$1"
  starts=$((starts + 1))
  local log="$dir/daemon-$starts.log"
  rm -f "$dir/ipop-espd.sock"
  ip netns exec "$prefix-$node" "$espd" -F -f "$dir/racoon.conf" --setkey "$dir/setkey.conf" \
    --control "$dir/ipop-espd.sock" --tun iptesp0 2>"$log" &
  daemon_pid[$node]=$!
  for _ in $(seq 100); do
    [ -S "$dir/ipop-espd.sock" ] && break
    kill -0 "${daemon_pid[$node]}" 2>/dev/null || fail "ipop-espd on node $node exited during start"
    sleep 0.1
  done
  [ -S "$dir/ipop-espd.sock" ] || fail "ipop-espd on node $node did not open its control socket"
  echo "  node $node: ipop-espd started, pid ${daemon_pid[$node]}, log $(basename "$log")"
}

kill_daemon() {
  local node="$1"
  kill -KILL "${daemon_pid[$node]}"
  wait "${daemon_pid[$node]}" 2>/dev/null || true
  unset "daemon_pid[$node]"
  echo "  node $node: ipop-espd killed with SIGKILL"
}

# The log of the node's current daemon.
current_log() { ls -t "$work/$1"/daemon-*.log | head -n 1; }

# Pings from `node` to `target` until a reply arrives or `limit` seconds
# pass; prints the seconds it took.
ping_until_reply() {
  local node="$1" target="$2" limit="$3"
  local started now
  started="$(date +%s.%N)"
  if ! ip netns exec "$prefix-$node" ping -n -c 1 -i 0.5 -w "$limit" "$target" >/dev/null; then
    fail "no ping reply from $target to node $node within $limit s"
  fi
  now="$(date +%s.%N)"
  awk -v from="$started" -v to="$now" 'BEGIN { printf "%.1f\n", to - from }'

}

# Waits up to `limit` seconds for `pattern` in the node's current log.
wait_for_log() {
  local node="$1" pattern="$2" limit="$3"
  for _ in $(seq $((limit * 10))); do
    grep -q -- "$pattern" "$(current_log "$node")" && return 0
    sleep 0.1
  done
  fail "node $node did not log \"$pattern\" within $limit s"
}

count_sas() {
  ip netns exec "$prefix-$1" "$esp_cli" --control "$work/$1/ipop-espd.sock" sa |
    grep -c "spi" || true
}

# --- Scenarios ------------------------------------------------------------------------

step "Starting both daemons and negotiating with a first ping"
start_daemon a
start_daemon b
elapsed="$(ping_until_reply a "$address_b" 20)"
echo "  first reply after $elapsed s"
ip netns exec "$ns_a" "$esp_cli" --control "$work/a/ipop-espd.sock" sa | sed 's/^/  a: /'

if [ "$scenario" = link-cut ]; then
  step "Pinging for 6 s: inbound ESP must keep DPD quiet on both nodes"
  ip netns exec "$ns_a" ping -n -q -c 12 -i 0.5 "$address_b" | sed 's/^/  /' ||
    fail "the 6 s ping from node a lost packets"
  for node in a b; do
    dpd_line="$(ip netns exec "$prefix-$node" "$esp_cli" --control "$work/$node/ipop-espd.sock" status |
      grep "^DPD:")"
    echo "  $node: $dpd_line"
    case "$dpd_line" in
      "DPD: 0 R-U-THERE sent,"*) ;;
      *) fail "node $node sent R-U-THERE while ESP arrived from its peer" ;;
    esac
  done

  step "Cutting node b's end of the link"
  ip -n "$ns_b" link set "$prefix-eb" down
  wait_for_log a "seems to be dead" 15
  grep -h "seems to be dead\|purged IPsec-SA" "$(current_log a)" | sed 's/^/  a: /'
  sleep 1
  remaining="$(count_sas a)"
  echo "  node a lists $remaining SA lines after the peer died"
  [ "$remaining" -eq 0 ] || fail "node a still lists SAs with the dead peer"
  ip netns exec "$ns_a" "$esp_cli" --control "$work/a/ipop-espd.sock" status | grep DPD | sed 's/^/  a: /'

  step "Restoring the link; a ping from a renegotiates"
  ip -n "$ns_b" link set "$prefix-eb" up
  elapsed="$(ping_until_reply a "$address_b" 20)"
  echo "  reply after $elapsed s"
  established="$(grep -c "ISAKMP-SA established" "$(current_log a)")"
  [ "$established" -ge 2 ] || fail "node a established $established ISAKMP SAs, expected a second one"
  exit 0
fi

step "Killing node b and starting it again; the survivor a pings"
kill_daemon b
start_daemon b
elapsed="$(ping_until_reply a "$address_b" 20)"
echo "  node a got a reply after $elapsed s"
grep -q "seems to be dead" "$(current_log a)" || fail "node a recovered without declaring b dead"
elapsed="$(ping_until_reply b "$address_a" 5)"
echo "  node b got a reply after $elapsed s"

step "Killing node a and starting it again; the restarted node a pings"
contacts_before="$(grep -c "received INITIAL-CONTACT" "$(current_log b)" || true)"
kill_daemon a
start_daemon a
elapsed="$(ping_until_reply a "$address_b" 5)"
echo "  node a got a reply after $elapsed s"
contacts_after="$(grep -c "received INITIAL-CONTACT" "$(current_log b)" || true)"
[ "$contacts_after" -gt "$contacts_before" ] || fail "node b received no INITIAL-CONTACT from the restarted node a"
elapsed="$(ping_until_reply b "$address_a" 5)"
echo "  node b got a reply after $elapsed s"
