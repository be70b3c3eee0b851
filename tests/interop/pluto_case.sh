#!/usr/bin/env bash
# One IKEv1 interop case between ipop-espd and libreswan's pluto.
#
#   namespace PREFIX-i (10.78.0.1)          namespace PREFIX-p (10.78.0.2)
#   ipop-espd, TUN ipiolsw0   <--- veth --->  pluto (own mount namespace)
#
# Debian 12's libreswan package conflicts with strongSwan's, which the
# other interop tests need. So this case does not install it: it fetches
# the package with `apt-get download` into a cache directory once, unpacks
# it with `dpkg-deb -x` and runs pluto from there. tools/install-deps.sh
# installs the shared libraries pluto links against. pluto runs the addconn
# helper from /usr/libexec/ipsec, so it runs in its own mount namespace
# with an overlay that adds the unpacked /usr/libexec/ipsec.
#
# libreswan 4.10 accepts IKEv1 only with `ikev1-policy=accept`. Debian
# builds it without MODP-1024, so the IPOP recipe (3DES/SHA1/MODP-1024)
# cannot be used against it, and the suites here use MODP-2048.
#
# This kernel has no ESP. pluto installs its SAs in the kernel before it
# sends Quick Mode message 2 as responder, and when message 2 arrives as
# initiator. Both installs fail. The case therefore checks Main Mode
# on both sides, and that pluto accepted our Quick Mode message (1 or 2,
# by role): it tried to install an SA with the SPI that ipop-espd chose.
#
# Usage: pluto_case.sh BIN_DIR --role initiator|responder --auth rsasig|psk
#                      --suite aes-sha256|gcm [--cache DIR] [--prefix NAME]
#                      [--keep]
#   BIN_DIR    directory holding ipop-espd and ipop-esp
#   --role     ipop-espd's role; pluto takes the other one
#   --auth     RSA signatures with an IPOP-style CA, or a pre-shared key
#   --suite    aes-sha256: IKE and ESP AES-128/SHA2-256, MODP-2048
#              gcm:        IKE as above, ESP AES-GCM-16/128
#   --cache    where the libreswan package is kept (default:
#              BIN_DIR/../interop-cache)
#   --prefix   prefix of the namespaces and interfaces (default ipio-l),
#              at most 10 characters
#   --keep     keep the work directory (configs and logs)
#
# Exit status: 0 pass, 1 fail, 77 skipped because a tool this case needs is
# missing, the package cannot be fetched, or the case does not run as root.
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
cache=""
prefix="ipio-l"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --role) role="$2"; shift ;;
    --auth) auth="$2"; shift ;;
    --suite) suite="$2"; shift ;;
    --cache) cache="$2"; shift ;;
    --prefix) prefix="$2"; shift ;;
    --keep) keep=1 ;;
    *) echo "pluto_case: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$cache" ] || cache="$bin_dir/../interop-cache"

case "$role" in initiator|responder) ;; *) echo "pluto_case: --role must be initiator or responder" >&2; exit 2 ;; esac
case "$auth" in rsasig|psk) ;; *) echo "pluto_case: --auth must be rsasig or psk" >&2; exit 2 ;; esac
case "$suite" in
  aes-sha256)
    esp_racoon="encryption_algorithm aes 128; authentication_algorithm hmac_sha256; pfs_group modp2048;"
    esp_pluto="aes128-sha2_256;modp2048"
    ;;
  gcm)
    esp_racoon="encryption_algorithm aes_gcm_16 128; authentication_algorithm non_auth; pfs_group modp2048;"
    esp_pluto="aes_gcm128-null;modp2048"
    ;;
  *) echo "pluto_case: --suite must be aes-sha256 or gcm" >&2; exit 2 ;;
esac
readonly ike_racoon="encryption_algorithm aes 128; hash_algorithm sha256; dh_group modp2048;"
readonly ike_pluto="aes128-sha2_256;modp2048"
# How pluto logs the IKE SA it established with these proposals.
readonly ike_pluto_established="cipher=AES_CBC_128 integ=HMAC_SHA2_256 group=MODP2048"
if [ "${#prefix}" -gt 10 ]; then
  echo "pluto_case: --prefix \"$prefix\" is longer than 10 characters" >&2
  exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "pluto_case: SKIPPED: needs root for network and mount namespaces" >&2
  exit "$skip_status"
fi
for tool in apt-get dpkg-deb unshare ip openssl certutil pk12util tcpdump tshark; do
  if ! command -v "$tool" >/dev/null; then
    echo "pluto_case: SKIPPED: $tool not found; install it with tools/install-deps.sh" >&2
    exit "$skip_status"
  fi
done
espd="$bin_dir/ipop-espd"
esp_cli="$bin_dir/ipop-esp"
for binary in "$espd" "$esp_cli"; do
  if [ ! -x "$binary" ]; then
    echo "pluto_case: $binary not found; build the project first" >&2
    exit 1
  fi
done

# --- libreswan, unpacked from Debian's package ---------------------------------------

fetch_status=0
root="$("$(dirname "$0")/fetch_libreswan.sh" "$cache")" || fetch_status=$?
if [ "$fetch_status" -eq 77 ]; then
  echo "pluto_case: SKIPPED: the libreswan package could not be fetched" >&2
  exit "$skip_status"
elif [ "$fetch_status" -ne 0 ]; then
  echo "pluto_case: unpacking the libreswan package failed" >&2
  exit 1
fi
libexec="$root/usr/libexec/ipsec"
missing_libraries="$(ldd "$libexec/pluto" "$libexec/addconn" "$libexec/whack" | grep "not found" || true)"
if [ -n "$missing_libraries" ]; then
  echo "pluto_case: SKIPPED: pluto's libraries are missing; run tools/install-deps.sh:" >&2
  echo "$missing_libraries" >&2
  exit "$skip_status"
fi
pluto_version="$("$libexec/pluto" --version 2>&1 | head -n 1)"

readonly ns_ours="$prefix-i" ns_pluto="$prefix-p"
readonly address_ours="10.78.0.1" address_pluto="10.78.0.2"
readonly tun_name="ipiolsw0"
readonly psk_secret="ipio-interop-pluto-secret"
name="pluto-$role-$auth-$suite"

fail() { echo "$name: FAILED: $*" >&2; exit 1; }
note() { echo "$name: $*"; }

work="$(mktemp -d "/tmp/ipio-$prefix.XXXXXX")"
espd_pid=""
pluto_pid=""
tcpdump_pid=""

cleanup() {
  local status=$?
  set +e
  for pid in "$espd_pid" "$pluto_pid" "$tcpdump_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
    fi
  done
  for pid in "$espd_pid" "$pluto_pid" "$tcpdump_pid"; do
    if [ -n "$pid" ]; then
      wait "$pid" 2>/dev/null
    fi
  done
  if [ "$status" -ne 0 ]; then
    for log in "$work/ours/daemon.log" "$work/pluto/pluto.log"; do
      if [ -f "$log" ]; then
        echo "--- last lines of $log" >&2
        tail -n 30 "$log" >&2
      fi
    done
  fi
  ip netns del "$ns_ours" 2>/dev/null
  ip netns del "$ns_pluto" 2>/dev/null
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

note "peer: $pluto_version"

# --- Topology -------------------------------------------------------------------

for ns in "$ns_ours" "$ns_pluto"; do
  if ip netns list | grep -qw "^$ns"; then
    fail "namespace $ns already exists; remove it with: ip netns del $ns"
  fi
done
ip netns add "$ns_ours"
ip netns add "$ns_pluto"
ip -n "$ns_ours" link set lo up
ip -n "$ns_pluto" link set lo up
ip -n "$ns_ours" link add "$prefix-ei" type veth peer name "$prefix-ep" netns "$ns_pluto"
ip -n "$ns_ours" addr add "$address_ours/24" dev "$prefix-ei"
ip -n "$ns_pluto" addr add "$address_pluto/24" dev "$prefix-ep"
ip -n "$ns_ours" link set "$prefix-ei" up
ip -n "$ns_pluto" link set "$prefix-ep" up

# --- Credentials: an IPOP-style CA (CN = node address) and a pre-shared key ------

ours="$work/ours"
pluto="$work/pluto"
mkdir -p "$ours/certs" "$pluto/nss" "$pluto/run" "$pluto/dump"
openssl genrsa -out "$work/rootCA.key" 2048 2>/dev/null
openssl req -x509 -new -nodes -key "$work/rootCA.key" -sha256 -days 2 \
  -subj "/CN=ipop-esp interop CA" -out "$work/rootCA.pem"
make_node_certificate() {
  local address="$1" key="$2" cert="$3"
  openssl genrsa -out "$key" 2048 2>/dev/null
  openssl req -new -key "$key" -subj "/CN=$address" -out "$work/$address.csr"
  openssl x509 -req -in "$work/$address.csr" -CA "$work/rootCA.pem" -CAkey "$work/rootCA.key" \
    -CAcreateserial -days 2 -sha256 -out "$cert" 2>/dev/null
}
make_node_certificate "$address_ours" "$ours/certs/key.pem" "$ours/certs/cert.pem"
make_node_certificate "$address_pluto" "$work/pluto-key.pem" "$work/pluto-cert.pem"
cp "$work/rootCA.pem" "$ours/certs/rootCA.pem"
install -m 0600 /dev/null "$ours/psk.txt"
echo "$address_pluto $psk_secret" >"$ours/psk.txt"

# pluto keeps certificates and keys in an NSS database: its own certificate
# and key from a PKCS#12 file, and the CA trusted for client and server use.
certutil -N -d "sql:$pluto/nss" --empty-password
openssl pkcs12 -export -in "$work/pluto-cert.pem" -inkey "$work/pluto-key.pem" \
  -name pluto-node -passout pass: -out "$work/pluto.p12"
pk12util -i "$work/pluto.p12" -d "sql:$pluto/nss" -W "" >/dev/null
certutil -A -d "sql:$pluto/nss" -n ipop-ca -t "CT,," -i "$work/rootCA.pem"

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
sainfo anonymous {
        $esp_racoon
}
EOF
cat >"$ours/setkey.conf" <<EOF
spdadd $address_ours/32 $address_pluto/32 any -P out ipsec esp/transport//require;
spdadd $address_pluto/32 $address_ours/32 any -P in ipsec esp/transport//require;
EOF

# --- pluto configuration --------------------------------------------------------

if [ "$auth" = rsasig ]; then
  auth_pluto="authby=rsasig
    leftcert=pluto-node
    leftid=%fromcert
    rightid=\"CN=$address_ours\"
    rightca=%same"
  : >"$pluto/ipsec.secrets"
else
  auth_pluto="authby=secret
    leftid=$address_pluto
    rightid=$address_ours"
  echo "$address_pluto $address_ours : PSK \"$psk_secret\"" >"$pluto/ipsec.secrets"
fi
chmod 0600 "$pluto/ipsec.secrets"
cat >"$pluto/ipsec.conf" <<EOF
config setup
    ikev1-policy=accept
    logfile=$pluto/pluto.log
    logappend=no
    plutodebug=none

conn ipop
    ikev2=no
    $auth_pluto
    left=$address_pluto
    right=$address_ours
    type=transport
    ike=$ike_pluto
    esp=$esp_pluto
    pfs=yes
    fragmentation=no
    auto=add
EOF

# --- Start both peers -----------------------------------------------------------

# The overlay adds the unpacked /usr/libexec/ipsec in pluto's mount
# namespace only. Every step execs, so the PID recorded here is pluto's own.
ip netns exec "$ns_pluto" unshare -m --propagation private \
  sh -c 'mount -t overlay overlay -o "lowerdir=/usr/libexec:$1" /usr/libexec && shift && exec "$@"' \
  sh "$root/usr/libexec" "$libexec/pluto" --nofork --config "$pluto/ipsec.conf" \
  --rundir "$pluto/run" --nssdir "$pluto/nss" --secretsfile "$pluto/ipsec.secrets" \
  --ipsecdir "$pluto" --dumpdir "$pluto/dump" >"$pluto/stdout.log" 2>&1 &
pluto_pid=$!
for _ in $(seq 100); do
  grep -q '"ipop": added IKEv1 connection' "$pluto/pluto.log" 2>/dev/null && break
  kill -0 "$pluto_pid" 2>/dev/null || fail "pluto exited during start: $(cat "$pluto/stdout.log")"
  sleep 0.1
done
grep -q '"ipop": added IKEv1 connection' "$pluto/pluto.log" ||
  fail "pluto did not load the connection: $(grep -i -e error -e fail "$pluto/pluto.log" | head -n 5)"
grep -q "listening for IKE messages" "$pluto/pluto.log" || sleep 1

# Our side of the link, for tshark with the key log at the end.
start_capture "$ns_ours" "$prefix-ei" "$work/capture.pcap"

ip netns exec "$ns_ours" "$espd" -F -d -f "$ours/racoon.conf" --setkey "$ours/setkey.conf" \
  --control "$ours/ipop-espd.sock" --tun "$tun_name" --keylog "$ours/keys.log" 2>"$ours/daemon.log" &
espd_pid=$!
for _ in $(seq 100); do
  [ -S "$ours/ipop-espd.sock" ] && break
  kill -0 "$espd_pid" 2>/dev/null || fail "ipop-espd exited during start"
  sleep 0.1
done
[ -S "$ours/ipop-espd.sock" ] || fail "ipop-espd did not open its control socket"

# --- Negotiate --------------------------------------------------------------------

if [ "$role" = initiator ]; then
  note "ipop-espd initiates: a ping matches the out policy and starts IKE"
  # No reply is expected: pluto cannot install the SAs on this kernel.
  ip netns exec "$ns_ours" ping -n -c 1 -W 1 "$address_pluto" >/dev/null 2>&1 || true
else
  note "pluto initiates (whack --initiate)"
  ip netns exec "$ns_pluto" "$libexec/whack" --ctlsocket "$pluto/run/pluto.ctl" \
    --name ipop --initiate --asynchronous >"$pluto/whack.log" 2>&1 ||
    fail "whack --initiate failed: $(cat "$pluto/whack.log")"
fi

# pluto logs each SA it tries to add as esp.SPI@DESTINATION, SPI in hex
# without leading zeros, like ipop-espd.
pluto_sa_spis() { grep -o "Add SA esp\.[0-9a-f]*@$1" "$pluto/pluto.log" | sed 's/Add SA esp\.\([0-9a-f]*\)@.*/\1/' || true; }
for _ in $(seq 300); do
  [ -n "$(pluto_sa_spis "$address_ours")" ] && break
  sleep 0.1
done
sleep 1

# --- Checks -----------------------------------------------------------------------

note "ipop-espd:"
grep -E "ISAKMP-SA established|IPsec-SA established|proposing inbound SA|installed ahead of HASH" \
  "$ours/daemon.log" | sed 's/^/  /' || true
note "pluto:"
grep -E "IKE SA established|Quick Mode|Add SA|Peer ID" "$pluto/pluto.log" | sed 's/^/  /' || true

grep -q "ISAKMP-SA established" "$ours/daemon.log" || fail "ipop-espd logged no ISAKMP-SA established line"
if [ "$auth" = rsasig ]; then
  pluto_auth="RSA_SIG"
  grep -qF "Peer ID is ID_DER_ASN1_DN: 'CN=$address_ours'" "$pluto/pluto.log" ||
    fail "pluto did not see our certificate's name as our ID"
else
  pluto_auth="PRESHARED_KEY"
  grep -qF "Peer ID is ID_IPV4_ADDR: '$address_ours'" "$pluto/pluto.log" ||
    fail "pluto did not see our address as our ID"
fi
grep -F "IKE SA established" "$pluto/pluto.log" | grep -F "auth=$pluto_auth" |
  grep -qF "$ike_pluto_established" ||
  fail "pluto logged no IKE SA established with auth=$pluto_auth $ike_pluto_established"

# The only kernel error allowed is the one of a kernel without ESP.
other_errors="$(grep "netlink response for Add SA" "$pluto/pluto.log" |
  grep -v -e "Protocol not supported (errno 93)" -e "Function not implemented (errno 38)" || true)"
[ -z "$other_errors" ] || fail "pluto's kernel interface failed for another reason: $other_errors"

to_us="$(pluto_sa_spis "$address_ours" | head -n 1)"
[ -n "$to_us" ] || fail "pluto tried to add no SA towards ipop-espd, so it did not accept our Quick Mode message"
if [ "$role" = initiator ]; then
  ours_spi="$(grep -o "proposing inbound SA spi=[0-9]*(0x[0-9a-f]*)" "$ours/daemon.log" |
    sed 's/.*(0x\([0-9a-f]*\))/\1/' | head -n 1)"
else
  ours_spi="$(grep -o "inbound SA spi=[0-9]*(0x[0-9a-f]*) from .* installed ahead of HASH(3)" \
    "$ours/daemon.log" | sed 's/.*(0x\([0-9a-f]*\)).*/\1/' | head -n 1)"
fi
note "our inbound SPI: 0x$ours_spi; pluto's SA towards us: 0x$to_us"
[ -n "$ours_spi" ] || fail "ipop-espd did not log the inbound SPI it sent"
[ "$ours_spi" = "$to_us" ] || fail "pluto did not use our inbound SPI 0x$ours_spi"

# --- tshark with our key log ---------------------------------------------------------

# Every message ipop-espd sent must dissect, and every encrypted one must
# decrypt with the keys ipop-espd logged.
sleep 0.5
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=""
[ -s "$ours/keys.log" ] || fail "ipop-espd wrote no key log"
quick_min=1  # QM1 as initiator, QM2 as responder
check_isakmp_from "$work/capture.pcap" "$ours/keys.log" "$work" "$address_ours" 1 "$quick_min"
note "tshark decrypted every encrypted ISAKMP message ipop-espd sent"
