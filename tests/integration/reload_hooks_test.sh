#!/usr/bin/env bash
# Configuration reload and phase 1 hook scripts between two ipop-espd nodes.
#
#   namespace PREFIX-a                     namespace PREFIX-b
#   10.77.0.1/24 PREFIX-ea  <--- veth --->  PREFIX-eb 10.77.0.2/24
#   ipop-espd (TUN iptrld0)                ipop-espd (TUN iptrld0)
#
# Both nodes use the racoon vector certificates and the policy pair
# 10.77.0.0/24 <=> 10.77.0.0/24 require.
#
# --scenario reload: after a first ping, node b gets SIGHUP with an
# unrelated change (nonce_size). Its ESP SAs must keep their SPIs, and a
# second ping must need no new Quick Mode. A racoon.conf with a syntax
# error must make `ipop-esp reload` fail with FILE:LINE and keep b running.
# Then b's only sainfo is replaced by one for other addresses and
# `ipop-esp reload` runs: b must delete its ESP SAs, and node a must drop
# its side on b's Delete.
#
# --scenario script: node b runs a phase1_up and a phase1_down script that
# write their argument and environment to files. The first ping must run
# phase1_up with racoon's variables; stopping node a, which sends Deletes,
# must run phase1_down.
#
# Usage: reload_hooks_test.sh BIN_DIR --scenario reload|script [--prefix NAME]
#   BIN_DIR contains ipop-espd and ipop-esp. NAME (default iptrld) prefixes
#   the namespaces and interfaces and has at most 11 characters.
# Exits 77 (skipped) without root, a TUN device, ip or ping.
set -euo pipefail

top="$(cd "$(dirname "$0")/../.." && pwd)"
bin_dir="${1:?usage: reload_hooks_test.sh BIN_DIR --scenario reload|script}"
shift
scenario=""
prefix="iptrld"
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) scenario="$2"; shift ;;
    --prefix) prefix="$2"; shift ;;
    *) echo "reload_hooks_test: unknown option $1; use --scenario and --prefix" >&2; exit 2 ;;
  esac
  shift
done
if [ "${#prefix}" -gt 11 ]; then
  echo "reload_hooks_test: --prefix \"$prefix\" is longer than 11 characters" >&2
  exit 2
fi
case "$scenario" in
  reload|script) ;;
  *) echo "reload_hooks_test: --scenario \"$scenario\" is invalid; use reload or script" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "reload_hooks_test: SKIPPED: needs root for network namespaces"
  exit 77
fi
if [ ! -c /dev/net/tun ]; then
  echo "reload_hooks_test: SKIPPED: /dev/net/tun is missing"
  exit 77
fi
for program in ip ping; do
  if ! command -v "$program" >/dev/null; then
    echo "reload_hooks_test: SKIPPED: $program not found (run tools/install-deps.sh)"
    exit 77
  fi
done
espd="$bin_dir/ipop-espd"
esp_cli="$bin_dir/ipop-esp"
for binary in "$espd" "$esp_cli"; do
  [ -x "$binary" ] || { echo "reload_hooks_test: $binary not found; build it first" >&2; exit 1; }
done

readonly ns_a="$prefix-a" ns_b="$prefix-b"
readonly address_a="10.77.0.1" address_b="10.77.0.2"
readonly vectors="$top/tests/vectors/racoon-3des-sha1-modp1024/certs"
work="$(mktemp -d "/tmp/$prefix.XXXXXX")"
chmod 0755 "$work"
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
      [ -f "$work/$node/daemon.log" ] || continue
      echo "--- last lines of node $node's log" >&2
      tail -n 30 "$work/$node/daemon.log" >&2
    done
  fi
  ip netns del "$ns_a" 2>/dev/null
  ip netns del "$ns_b" 2>/dev/null
  rm -rf "$work"
  [ "$status" -eq 0 ] && echo "reload_hooks_test ($scenario): PASSED"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "reload_hooks_test ($scenario): FAILED: $*" >&2; exit 1; }
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

# Writes DIR/racoon.conf for the node at ADDRESS. NONCE is the remote's
# nonce_size, SAINFO the sainfo header and EXTRA more remote statements.
write_config() {
  local dir="$1" address="$2" nonce="$3" sainfo="$4" extra="$5"
  cat >"$dir/racoon.conf" <<EOF
path certificate "$dir/certs";
listen {
        isakmp $address [500];
        isakmp_natt $address [4500];
}
remote anonymous {
        exchange_mode main;
        certificate_type x509 "cert.pem" "key.pem";
        ca_type x509 "rootCA.pem";
        my_identifier asn1dn;
        verify_identifier off;
        nonce_size $nonce;
$extra
        proposal {
                encryption_algorithm aes 128;
                hash_algorithm sha256;
                authentication_method rsasig;
                dh_group modp2048;
        }
}
sainfo $sainfo {
        encryption_algorithm aes 128;
        authentication_algorithm hmac_sha256;
        pfs_group modp2048;
}
EOF
}

# The hook script of the script scenario: its argument, then its sorted
# environment, in DIR/hook-EVENT.env.
write_hook() {
  local dir="$1"
  cat >"$dir/hook.sh" <<EOF
#!/bin/sh
{ echo "argument=\$1"; env | sort; } > "$dir/hook-\$1.env"
EOF
  chmod 0755 "$dir/hook.sh"
}

for node in a b; do
  address_var="address_$node"
  dir="$work/$node"
  mkdir -p "$dir/certs"
  install -m 0644 "$vectors/${!address_var}/cert.pem" "$dir/certs/cert.pem"
  install -m 0600 "$vectors/${!address_var}/key.pem" "$dir/certs/key.pem"
  install -m 0644 "$vectors/rootCA.pem" "$dir/certs/rootCA.pem"
  extra=""
  if [ "$scenario" = script ] && [ "$node" = b ]; then
    write_hook "$dir"
    extra="        script \"$dir/hook.sh\" phase1_up;
        script \"$dir/hook.sh\" phase1_down;"
  fi
  write_config "$dir" "${!address_var}" 16 anonymous "$extra"
  cat >"$dir/setkey.conf" <<EOF
spdadd 10.77.0.0/24 10.77.0.0/24 any -P out ipsec esp/transport//require;
spdadd 10.77.0.0/24 10.77.0.0/24 any -P in ipsec esp/transport//require;
EOF
done

# --- Helpers ------------------------------------------------------------------------

start_daemon() {
  local node="$1" dir="$work/$1"
  rm -f "$dir/ipop-espd.sock"
  ip netns exec "$prefix-$node" "$espd" -F -f "$dir/racoon.conf" --setkey "$dir/setkey.conf" \
    --control "$dir/ipop-espd.sock" --tun iptrld0 2>"$dir/daemon.log" &
  daemon_pid[$node]=$!
  for _ in $(seq 100); do
    [ -S "$dir/ipop-espd.sock" ] && break
    kill -0 "${daemon_pid[$node]}" 2>/dev/null || fail "ipop-espd on node $node exited during start"
    sleep 0.1
  done
  [ -S "$dir/ipop-espd.sock" ] || fail "ipop-espd on node $node did not open its control socket"
  echo "  node $node: ipop-espd started, pid ${daemon_pid[$node]}"
}

cli() {
  local node="$1"
  shift
  ip netns exec "$prefix-$node" "$esp_cli" --control "$work/$node/ipop-espd.sock" "$@"
}

# The SPIs of the node's ESP SAs, one per line, sorted.
esp_spis() {
  cli "$1" sa | awk '/^ESP SAs:/ { table = 1; next } table && $2 ~ /^[0-9]/ { print $2 }' | sort
}

esp_sa_count() { cli "$1" sa | sed -n 's/^ESP SAs: //p'; }

# Waits up to `limit` seconds for `pattern` in the node's log.
wait_for_log() {
  local node="$1" pattern="$2" limit="$3"
  for _ in $(seq $((limit * 10))); do
    grep -q -- "$pattern" "$work/$node/daemon.log" && return 0
    sleep 0.1
  done
  fail "node $node did not log \"$pattern\" within $limit s"
}

# Waits up to five seconds for the hook script to write FILE.
wait_for_file() {
  for _ in $(seq 50); do
    [ -f "$1" ] && return 0
    sleep 0.1
  done
  fail "the hook script did not write $(basename "$1")"
}

ping_once() {
  ip netns exec "$prefix-$1" ping -n -c 1 -w "$3" "$2" >/dev/null
}

# --- Scenarios ------------------------------------------------------------------------

step "Starting both daemons and negotiating with a first ping"
start_daemon a
start_daemon b
ping_once a "$address_b" 20 || fail "no ping reply from b within 20 s"
[ "$(esp_sa_count b)" = 2 ] || fail "node b has $(esp_sa_count b) ESP SAs after the first ping, expected 2"

if [ "$scenario" = reload ]; then
  step "SIGHUP after an unrelated change keeps the SAs"
  spis_before="$(esp_spis b)"
  write_config "$work/b" "$address_b" 32 anonymous ""
  kill -HUP "${daemon_pid[b]}"
  wait_for_log b "reloaded $work/b/racoon.conf" 10
  grep "reload" "$work/b/daemon.log" | sed 's/^/  b: /'
  [ "$(esp_spis b)" = "$spis_before" ] || fail "node b's ESP SPIs changed on an unrelated reload"
  quick_modes_before="$(grep -c "IPsec-SA established" "$work/a/daemon.log")"
  ping_once a "$address_b" 5 || fail "no ping reply after the unrelated reload"
  quick_modes_after="$(grep -c "IPsec-SA established" "$work/a/daemon.log")"
  [ "$quick_modes_after" = "$quick_modes_before" ] || fail "the ping after the reload negotiated new SAs"

  step "A racoon.conf that fails to load keeps the running configuration"
  cp "$work/b/racoon.conf" "$work/b/racoon.conf.good"
  sed -i 's/nonce_size 32;/nonce_size 32/' "$work/b/racoon.conf"
  if output="$(cli b reload 2>&1)"; then
    fail "ipop-esp reload succeeded with a broken racoon.conf"
  fi
  echo "  ipop-esp reload: $output"
  case "$output" in
    *"reload failed, the running configuration stays: $work/b/racoon.conf:12:"*) ;;
    *) fail "ipop-esp reload did not name the file and line of the error: $output" ;;
  esac
  kill -0 "${daemon_pid[b]}" || fail "node b stopped after a failed reload"
  [ "$(esp_spis b)" = "$spis_before" ] || fail "a failed reload changed node b's ESP SAs"

  step "Replacing the sainfo drops the SAs it described, on both nodes"
  write_config "$work/b" "$address_b" 32 "address 10.99.0.1/32 any address 10.99.0.2/32 any" ""
  cli b reload | sed 's/^/  ipop-esp reload: /'
  grep "reload: deleting" "$work/b/daemon.log" | sed 's/^/  b: /'
  [ "$(esp_sa_count b)" = 0 ] || fail "node b kept $(esp_sa_count b) ESP SAs without a sainfo for them"
  for _ in $(seq 50); do
    [ "$(esp_sa_count a)" = 0 ] && break
    sleep 0.1
  done
  [ "$(esp_sa_count a)" = 0 ] || fail "node a kept its ESP SAs after node b's Delete"
  if ping_once a "$address_b" 3; then
    fail "a ping got through although node b has no sainfo for it"
  fi
  wait_for_log b "no sainfo for" 5
  exit 0
fi

step "phase1_up ran with racoon's environment"
wait_for_file "$work/b/hook-phase1_up.env"
sed 's/^/  /' "$work/b/hook-phase1_up.env"
for expected in argument=phase1_up LOCAL_ADDR=$address_b LOCAL_PORT=500 REMOTE_ADDR=$address_a \
    REMOTE_PORT=500; do
  grep -qx -- "$expected" "$work/b/hook-phase1_up.env" || fail "phase1_up environment lacks $expected"
done
grep -q "^REMOTE_ID=.*$address_a" "$work/b/hook-phase1_up.env" || fail "REMOTE_ID does not name node a"
if grep -q "^PATH=" "$work/b/hook-phase1_up.env"; then
  fail "the script got a PATH, which racoon does not pass"
fi
wait_for_log b "script phase1_up $work/b/hook.sh (pid [0-9]*) exited with status 0" 5

step "Stopping node a runs phase1_down on node b"
kill -TERM "${daemon_pid[a]}"
wait "${daemon_pid[a]}" 2>/dev/null || true
unset "daemon_pid[a]"
wait_for_file "$work/b/hook-phase1_down.env"
grep -qx "REMOTE_ADDR=$address_a" "$work/b/hook-phase1_down.env" || fail "phase1_down lacks REMOTE_ADDR"
wait_for_log b "script phase1_down $work/b/hook.sh (pid [0-9]*) exited with status 0" 5
