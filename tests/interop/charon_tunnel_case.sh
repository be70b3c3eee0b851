#!/usr/bin/env bash
# One ESP tunnel-mode interop case between ipop-espd and strongSwan's charon,
# with data traffic through the tunnel.
#
#   namespace PREFIX-i                        namespace PREFIX-c
#   lo 10.62.1.1 (in subnet 10.62.1.0/24)    lo 10.62.2.1 (in subnet 10.62.2.0/24)
#   ipop-espd 10.79.0.1, TUN   <--- veth --->  charon 10.79.0.2, kernel-libipsec
#                                             (TUN ipsec0), own mount namespace
#
# This kernel has no ESP, so charon carries ESP with its kernel-libipsec
# plugin in userspace. That plugin supports tunnel mode with UDP
# encapsulation only, so charon gets `encap = yes`: it sends NAT-D payloads
# that cannot match, and both sides float IKE and ESP to UDP 4500. Each side
# protects its subnet with a tunnel policy between the two peer addresses.
#
# The case passes when Quick Mode completes on both sides with the same two
# SPIs and the chosen suite, both ESP SAs are tunnel mode and
# UDP-encapsulated on our side, ping works from each subnet address to the
# other, and 2 MB of TCP cross the tunnel in each direction with matching
# SHA-256.
#
# Usage: charon_tunnel_case.sh BIN_DIR --role initiator|responder --auth rsasig|psk
#                              --suite modp1024|gcm|sha512|sha384 [--prefix NAME]
#                              [--keep]
#   BIN_DIR    directory holding ipop-espd and ipop-esp
#   --role     ipop-espd's role; charon takes the other one
#   --auth     RSA signatures with an IPOP-style CA (CN = address), or a
#              pre-shared key
#   --suite    modp1024: IKE and ESP 3DES/SHA1, MODP-1024 (the IPOP recipe)
#              gcm:      IKE AES-128/SHA2-256 MODP-2048, ESP AES-GCM-16/128
#              sha512:   IKE AES-256/SHA2-384 ECP-384, ESP AES-256 with
#                        HMAC-SHA2-512-256 and PFS ECP-256
#              sha384:   IKE AES-128/SHA2-512 MODP-3072, ESP AES-128 with
#                        HMAC-SHA2-384-192 and PFS MODP-3072
#   --prefix   prefix of the namespaces and interfaces (default ipio-t),
#              at most 10 characters
#   --keep     keep the work directory (configs and logs)
#
# Exit status: 0 pass, 1 fail, 77 skipped because a tool this case needs is
# missing or the case does not run as root.
set -euo pipefail

readonly skip_status=77
# shellcheck source=tests/interop/tshark_isakmp.sh
. "$(dirname "$0")/tshark_isakmp.sh"
# shellcheck source=tests/interop/interop_lib.sh
. "$(dirname "$0")/interop_lib.sh"
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

bin_dir="${1:-}"
if [ -z "$bin_dir" ] || [ "$bin_dir" = "-h" ] || [ "$bin_dir" = "--help" ]; then
  usage
  exit 2
fi
shift
role=""
auth=""
suite=""
prefix="ipio-t"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --role) role="$2"; shift ;;
    --auth) auth="$2"; shift ;;
    --suite) suite="$2"; shift ;;
    --prefix) prefix="$2"; shift ;;
    --keep) keep=1 ;;
    *) echo "charon_tunnel_case: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

case "$role" in
  initiator|responder) ;;
  *) echo "charon_tunnel_case: --role must be initiator or responder" >&2; exit 2 ;;
esac
case "$auth" in
  rsasig|psk) ;;
  *) echo "charon_tunnel_case: --auth must be rsasig or psk" >&2; exit 2 ;;
esac
case "$suite" in
  modp1024)
    ike_racoon="encryption_algorithm 3des; hash_algorithm sha1; dh_group modp1024;"
    esp_racoon="encryption_algorithm 3des; authentication_algorithm hmac_sha1; pfs_group modp1024;"
    ike_charon="3des-sha1-modp1024"
    esp_charon="3des-sha1-modp1024"
    # The ESP algorithms as `ipop-esp sa` and charon's proposal log name them.
    esp_ours="3DES-CBC HMAC-SHA1-96"
    esp_theirs="ESP:3DES_CBC/HMAC_SHA1_96/MODP_1024"
    ;;
  gcm)
    ike_racoon="encryption_algorithm aes 128; hash_algorithm sha256; dh_group modp2048;"
    esp_racoon="encryption_algorithm aes_gcm_16 128; authentication_algorithm non_auth; pfs_group modp2048;"
    ike_charon="aes128-sha256-modp2048"
    esp_charon="aes128gcm16-modp2048"
    esp_ours="AES-GCM-16-128"
    esp_theirs="ESP:AES_GCM_16_128/MODP_2048"
    ;;
  sha512)
    ike_racoon="encryption_algorithm aes 256; hash_algorithm sha384; dh_group ecp384;"
    esp_racoon="encryption_algorithm aes 256; authentication_algorithm hmac_sha512; pfs_group ecp256;"
    ike_charon="aes256-sha384-ecp384"
    esp_charon="aes256-sha512-ecp256"
    esp_ours="AES-CBC-256 HMAC-SHA2-512-256"
    esp_theirs="ESP:AES_CBC_256/HMAC_SHA2_512_256/ECP_256"
    ;;
  sha384)
    ike_racoon="encryption_algorithm aes 128; hash_algorithm sha512; dh_group modp3072;"
    esp_racoon="encryption_algorithm aes 128; authentication_algorithm hmac_sha384; pfs_group modp3072;"
    ike_charon="aes128-sha512-modp3072"
    esp_charon="aes128-sha384-modp3072"
    esp_ours="AES-CBC-128 HMAC-SHA2-384-192"
    esp_theirs="ESP:AES_CBC_128/HMAC_SHA2_384_192/MODP_3072"
    ;;
  *) echo "charon_tunnel_case: --suite must be modp1024, gcm, sha512 or sha384" >&2; exit 2 ;;
esac
if [ "${#prefix}" -gt 10 ]; then
  echo "charon_tunnel_case: --prefix \"$prefix\" is longer than 10 characters" >&2
  exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "charon_tunnel_case: SKIPPED: needs root for network namespaces" >&2
  exit "$skip_status"
fi
readonly charon_bin=/usr/lib/ipsec/charon
for tool in "$charon_bin" swanctl unshare ip openssl python3 sha256sum tcpdump tshark; do
  if ! command -v "$tool" >/dev/null; then
    echo "charon_tunnel_case: SKIPPED: $tool not found; install it with tools/install-deps.sh" >&2
    exit "$skip_status"
  fi
done
if [ ! -c /dev/net/tun ]; then
  echo "charon_tunnel_case: SKIPPED: /dev/net/tun is missing" >&2
  exit "$skip_status"
fi
espd="$bin_dir/ipop-espd"
esp_cli="$bin_dir/ipop-esp"
for binary in "$espd" "$esp_cli"; do
  if [ ! -x "$binary" ]; then
    echo "charon_tunnel_case: $binary not found; build the project first" >&2
    exit 1
  fi
done

readonly ns_ours="$prefix-i" ns_charon="$prefix-c"
readonly address_ours="10.79.0.1" address_charon="10.79.0.2"
readonly subnet_ours="10.62.1.0/24" subnet_charon="10.62.2.0/24"
readonly inside_ours="10.62.1.1" inside_charon="10.62.2.1"
readonly tun_name="$prefix-t0"
readonly psk_secret="ipio-interop-test-secret"
readonly transfer_port=5001
readonly transfer_bytes=$((2 * 1024 * 1024))
readonly transfer="$(cd "$(dirname "$0")/.." && pwd)/integration/tcp_transfer.py"
name="charon-tunnel-$role-$auth-$suite"

fail() { echo "$name: FAILED: $*" >&2; exit 1; }
note() { echo "$name: $*"; }

work="$(mktemp -d "/tmp/ipio-$prefix.XXXXXX")"
pids=()

cleanup() {
  local status=$?
  set +e
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid"
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null
  done
  if [ "$status" -ne 0 ]; then
    for log in "$work/ours/daemon.log" "$work/charon/charon.log"; do
      if [ -f "$log" ]; then
        echo "--- last lines of $log" >&2
        tail -n 30 "$log" >&2
      fi
    done
  fi
  ip netns del "$ns_ours" 2>/dev/null
  ip netns del "$ns_charon" 2>/dev/null
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

for ns in "$ns_ours" "$ns_charon"; do
  if ip netns list | grep -qw "^$ns"; then
    fail "namespace $ns already exists; remove it with: ip netns del $ns"
  fi
done
for ns in "$ns_ours" "$ns_charon"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
ip -n "$ns_ours" link add "$prefix-ei" type veth peer name "$prefix-ec" netns "$ns_charon"
ip -n "$ns_ours" addr add "$address_ours/24" dev "$prefix-ei"
ip -n "$ns_charon" addr add "$address_charon/24" dev "$prefix-ec"
ip -n "$ns_ours" link set "$prefix-ei" up
ip -n "$ns_charon" link set "$prefix-ec" up
# Each subnet is one address on the loopback device (the CI kernel has no
# dummy interfaces): traffic from it to the other subnet must take the
# tunnel.
ip -n "$ns_ours" addr add "$inside_ours/32" dev lo
ip -n "$ns_charon" addr add "$inside_charon/32" dev lo

# --- Credentials: an IPOP-style CA (CN = node address) and a pre-shared key ------

ours="$work/ours"
charon="$work/charon"
swanctl_dir="$charon/swanctl"
mkdir -p "$ours/certs" "$charon/run" "$swanctl_dir"/{x509,x509ca,private}
openssl genrsa -out "$work/rootCA.key" 2048 2>/dev/null
openssl req -x509 -new -nodes -key "$work/rootCA.key" -sha256 -days 2 \
  -subj "/CN=ipop-esp tunnel interop CA" -out "$work/rootCA.pem"
for peer in ours charon; do
  address_var="address_$peer"
  key="$ours/certs/key.pem" cert="$ours/certs/cert.pem"
  if [ "$peer" = charon ]; then
    key="$swanctl_dir/private/charon.pem" cert="$swanctl_dir/x509/charon.pem"
  fi
  openssl genrsa -out "$key" 2048 2>/dev/null
  openssl req -new -key "$key" -subj "/CN=${!address_var}" -out "$work/$peer.csr"
  openssl x509 -req -in "$work/$peer.csr" -CA "$work/rootCA.pem" -CAkey "$work/rootCA.key" \
    -CAcreateserial -days 2 -sha256 -out "$cert" 2>/dev/null
done
cp "$work/rootCA.pem" "$ours/certs/rootCA.pem"
cp "$work/rootCA.pem" "$swanctl_dir/x509ca/rootCA.pem"
install -m 0600 /dev/null "$ours/psk.txt"
echo "$address_charon $psk_secret" >"$ours/psk.txt"

# --- ipop-espd configuration ----------------------------------------------------

if [ "$auth" = rsasig ]; then
  auth_racoon="authentication_method rsasig;"
  identity_racoon='certificate_type x509 "cert.pem" "key.pem";
        ca_type x509 "rootCA.pem";
        my_identifier asn1dn;'
else
  auth_racoon="authentication_method pre_shared_key;"
  identity_racoon="my_identifier address;"
fi
cat >"$ours/racoon.conf" <<EOF
path pre_shared_key "$ours/psk.txt";
path certificate "$ours/certs";

listen
{
    isakmp $address_ours [500];
    isakmp_natt $address_ours [4500];
}

remote anonymous {
        proposal {
                $ike_racoon
                $auth_racoon
        }
        $identity_racoon
        verify_identifier off;
        exchange_mode main;
        nat_traversal on;
}
sainfo address $subnet_ours any address $subnet_charon any {
        $esp_racoon
        compression_algorithm deflate;
}
EOF
cat >"$ours/setkey.conf" <<EOF
spdadd $subnet_ours $subnet_charon any -P out ipsec esp/tunnel/$address_ours-$address_charon/require;
spdadd $subnet_charon $subnet_ours any -P in ipsec esp/tunnel/$address_charon-$address_ours/require;
EOF

# --- charon configuration -------------------------------------------------------

# An explicit plugin list (load_modular = no) keeps charon from opening the
# shared stroke socket, and the vici socket lives in the work directory.
# kernel-libipsec does ESP; kernel-netlink still manages addresses and the
# routes charon installs into ipsec0.
cat >"$charon/strongswan.conf" <<EOF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints gmp aes sha1 sha2 hmac gcm kdf kernel-libipsec kernel-netlink socket-default vici
  install_routes = yes
  retransmit_tries = 3
  filelog {
    interop {
      path = $charon/charon.log
      time_format = %T
      append = no
      flush_line = yes
      default = 1
      ike = 2
      cfg = 2
      knl = 2
      esp = 1
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
  plugins {
    vici {
      socket = unix://$charon/charon.vici
    }
  }
}
EOF
charon_auth_sections "$auth"
cat >"$swanctl_dir/swanctl.conf" <<EOF
connections {
  ipop {
    version = 1
    local_addrs = $address_charon
    remote_addrs = $address_ours
    proposals = $ike_charon
    fragmentation = no
    encap = yes
    $auth_charon
    children {
      ipop {
        mode = tunnel
        local_ts = $subnet_charon
        remote_ts = $subnet_ours
        esp_proposals = $esp_charon
        start_action = none
      }
    }
  }
}
$secrets_charon
EOF

# --- Start both peers -----------------------------------------------------------

# charon 5.9.8 always writes /var/run/charon.pid, so it runs in its own mount
# namespace with its own directory over /run. Every step execs, so the PID
# recorded here is charon's own.
ip netns exec "$ns_charon" unshare -m --propagation private \
  sh -c 'mount --bind "$1" /run && exec env STRONGSWAN_CONF="$2" "$3"' \
  sh "$charon/run" "$charon/strongswan.conf" "$charon_bin" >"$charon/stdout.log" 2>&1 &
pids+=($!)
charon_pid=$!
vici="unix://$charon/charon.vici"
for _ in $(seq 100); do
  [ -S "$charon/charon.vici" ] && break
  kill -0 "$charon_pid" 2>/dev/null || fail "charon exited during start: $(cat "$charon/stdout.log")"
  sleep 0.1
done
[ -S "$charon/charon.vici" ] || fail "charon did not open its vici socket"
ip netns exec "$ns_charon" env SWANCTL_DIR="$swanctl_dir" swanctl --load-all --uri "$vici" \
  >"$charon/swanctl-load.log" 2>&1 || fail "swanctl --load-all failed: $(cat "$charon/swanctl-load.log")"

# Our side of the link, for tshark with the key log at the end.
start_capture "$ns_ours" "$prefix-ei" "$work/capture.pcap"
pids+=("$tcpdump_pid")

ip netns exec "$ns_ours" "$espd" -F -f "$ours/racoon.conf" --setkey "$ours/setkey.conf" \
  --control "$ours/ipop-espd.sock" --tun "$tun_name" --keylog "$ours/keys.log" 2>"$ours/daemon.log" &
pids+=($!)
espd_pid=$!
for _ in $(seq 100); do
  [ -S "$ours/ipop-espd.sock" ] && break
  kill -0 "$espd_pid" 2>/dev/null || fail "ipop-espd exited during start"
  sleep 0.1
done
[ -S "$ours/ipop-espd.sock" ] || fail "ipop-espd did not open its control socket"

# --- Negotiate --------------------------------------------------------------------

if [ "$role" = initiator ]; then
  note "ipop-espd initiates: a ping from $inside_ours matches the out policy and starts IKE"
  # ipop-espd keeps the first packets while IKE runs; the checks below
  # ping again.
  ip netns exec "$ns_ours" ping -n -c 1 -W 5 -I "$inside_ours" "$inside_charon" >/dev/null 2>&1 || true
else
  note "charon initiates (swanctl --initiate)"
  ip netns exec "$ns_charon" swanctl --initiate --child ipop --timeout 30 --uri "$vici" \
    >"$charon/swanctl-initiate.log" 2>&1 || true
fi
for _ in $(seq 300); do
  [ "$(grep -c "IPsec-SA established" "$ours/daemon.log" || true)" -ge 2 ] && break
  sleep 0.1
done

# --- Negotiation checks -----------------------------------------------------------

note "ipop-espd:"
grep -E "ISAKMP-SA established|IPsec-SA established" "$ours/daemon.log" | sed 's/^/  /' || true
note "charon:"
grep -E "IKE_SA ipop\[[0-9]+\] established|CHILD_SA ipop\{[0-9]+\} established|selected proposal" \
  "$charon/charon.log" | sed 's/^/  /' || true

grep -q "ISAKMP-SA established $address_ours\[4500\]" "$ours/daemon.log" ||
  fail "ipop-espd logged no ISAKMP-SA established on UDP 4500"
grep -qE "IKE_SA ipop\[[0-9]+\] established" "$charon/charon.log" ||
  fail "charon logged no IKE_SA established line"
grep -qF "selected proposal: $esp_theirs" "$charon/charon.log" ||
  fail "charon did not select $esp_theirs"
[ "$(grep -c "IPsec-SA established: ESP/Tunnel" "$ours/daemon.log")" -ge 2 ] ||
  fail "ipop-espd did not establish two tunnel-mode ESP SAs"
charon_child="$(grep -E "CHILD_SA ipop\{[0-9]+\} established with SPIs" "$charon/charon.log" | tail -n 1)"
[ -n "$charon_child" ] || fail "charon logged no CHILD_SA established line"
echo "$charon_child" | grep -qF "=== $subnet_ours" || fail "charon's CHILD_SA does not cover $subnet_ours"
# charon prints "SPIs c1234567_i 0abcdef1_o"; ipop-espd prints hex without
# leading zeros.
charon_spis="$(echo "$charon_child" | grep -oE "[0-9a-f]{8}_[io]" | cut -c1-8 | sort)"
our_spis="$(grep -o "IPsec-SA established: .* spi=[0-9]*(0x[0-9a-f]*)" "$ours/daemon.log" |
  sed 's/.*(0x\([0-9a-f]*\))/\1/' | while read -r hex; do printf '%08x\n' "0x$hex"; done | sort -u)"
note "SPIs ipop-espd: $(echo $our_spis), charon: $(echo $charon_spis)"
[ "$our_spis" = "$charon_spis" ] || fail "the SPIs differ between ipop-espd and charon"
ip netns exec "$ns_ours" "$esp_cli" --control "$ours/ipop-espd.sock" sa >"$ours/sa.txt"
sed 's/^/  /' "$ours/sa.txt"
[ "$(grep -F "$esp_ours" "$ours/sa.txt" | grep -F tunnel | grep -c udp-encap)" -eq 2 ] ||
  fail "ipop-esp sa does not list two UDP-encapsulated tunnel SAs with $esp_ours"

# --- Data path checks ---------------------------------------------------------------

note "ping $inside_ours -> $inside_charon and back"
ip netns exec "$ns_ours" ping -n -c 3 -i 0.2 -W 2 -I "$inside_ours" "$inside_charon" | sed 's/^/  /' ||
  fail "ping from $inside_ours to $inside_charon failed"
ip netns exec "$ns_charon" ping -n -c 3 -i 0.2 -W 2 -I "$inside_charon" "$inside_ours" | sed 's/^/  /' ||
  fail "ping from $inside_charon to $inside_ours failed"

# Sends transfer_bytes from namespace $1 (address $2) to namespace $3
# (address $4) and compares SHA-256.
transfer_once() {
  local from_ns="$1" from="$2" to_ns="$3" to="$4" tag="$5"
  head -c "$transfer_bytes" /dev/urandom >"$work/$tag.sent"
  ip netns exec "$to_ns" timeout 60 python3 "$transfer" receive "$to" "$transfer_port" \
    "$work/$tag.received" >"$work/$tag.receiver.log" 2>&1 &
  local receiver=$!
  pids+=("$receiver")
  for _ in $(seq 50); do
    grep -q listening "$work/$tag.receiver.log" 2>/dev/null && break
    sleep 0.1
  done
  ip netns exec "$from_ns" timeout 60 python3 "$transfer" send "$to" "$transfer_port" \
    "$work/$tag.sent" "$from" || fail "TCP sender $from -> $to failed"
  wait "$receiver" || fail "TCP receiver $to failed: $(cat "$work/$tag.receiver.log")"
  local sent received
  sent="$(sha256sum <"$work/$tag.sent" | cut -d' ' -f1)"
  received="$(sha256sum <"$work/$tag.received" | cut -d' ' -f1)"
  note "TCP $from -> $to: sent sha256 $sent, received $received"
  [ "$sent" = "$received" ] || fail "SHA-256 of the data received at $to differs from what was sent"
}
transfer_once "$ns_ours" "$inside_ours" "$ns_charon" "$inside_charon" to-charon
transfer_once "$ns_charon" "$inside_charon" "$ns_ours" "$inside_ours" to-ours

ip netns exec "$ns_ours" "$esp_cli" --control "$ours/ipop-espd.sock" status | grep -E "^ *ESP:" |
  sed 's/^/  /'

# --- tshark with our key log ---------------------------------------------------------

# Every IKE message ipop-espd sent must dissect and decrypt, and every ESP
# packet it sent must have its ICV reported good.
sleep 0.5
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
[ -s "$ours/keys.log" ] || fail "ipop-espd wrote no key log"
quick_min=1
if [ "$role" = initiator ]; then
  quick_min=2  # QM1 and HASH(3); as responder only QM2
fi
check_isakmp_from "$work/capture.pcap" "$ours/keys.log" "$work" "$address_ours" 1 "$quick_min"
check_esp_from "$work/capture.pcap" "$ours/keys.log" "$work" "$address_ours"
note "tshark decrypted every encrypted ISAKMP message and checked every ESP packet ipop-espd sent"
