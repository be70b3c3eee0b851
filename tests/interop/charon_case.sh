#!/usr/bin/env bash
# One IKEv1 interop case between ipop-espd and strongSwan's charon.
#
#   namespace PREFIX-i (10.79.0.1)          namespace PREFIX-c (10.79.0.2)
#   ipop-espd, TUN ipioesp0   <--- veth --->  charon (own mount namespace,
#                                             /run bind-mounted, vici socket)
#
# With --nat, a router namespace PREFIX-n masquerades one side with
# nftables: the side behind it moves to 10.79.1.0/24 and reaches the other
# through 10.79.0.254. Both peers must then detect the NAT, float IKE to
# UDP 4500 and negotiate UDP-encapsulated transport mode. Only the side
# behind the NAT can start the exchange, so the role follows from --nat.
#
# Both peers negotiate ESP in transport mode. This kernel has no ESP, so
# charon's kernel-netlink plugin allocates SPIs but cannot install SAs
# (XFRM returns ENOSYS or EPROTONOSUPPORT). The case therefore checks the
# negotiation only, and no ESP data is exchanged. Main Mode completes on
# both sides. With ipop-espd as initiator, Quick Mode completes on both
# sides and both agree on the SPIs and algorithms. With charon as initiator,
# charon aborts after Quick Mode message 2 (see the checks at the end).
#
# Usage: charon_case.sh BIN_DIR --role initiator|responder --auth rsasig|psk
#                       --suite modp1024|modp2048|gcm|ecp384|modp4096
#                       [--nat ours|charon] [--mode main|aggressive]
#                       [--fragmentation no|force] [--chain 1|2]
#                       [--prefix NAME] [--keep]
#   BIN_DIR    directory holding ipop-espd and ipop-esp
#   --role     ipop-espd's role; charon takes the other one
#   --auth     RSA signatures with an IPOP-style CA, or a pre-shared key
#   --suite    modp1024: IKE and ESP 3DES/SHA1, MODP-1024 (the IPOP recipe)
#              modp2048: IKE and ESP AES-128/SHA2-256, MODP-2048
#              gcm:      IKE AES-128/SHA2-256 MODP-2048, ESP AES-GCM-16/128
#              ecp384:   IKE and ESP AES-256/SHA2-384, ECP-384 (RFC 5903)
#              modp4096: IKE and ESP AES-256/SHA2-512, MODP-4096
#   --nat      put ipop-espd (ours, needs --role initiator) or charon
#              (charon, needs --role responder) behind a masquerading NAT
#   --mode     the phase 1 exchange both sides use (default main). For
#              aggressive with psk, the case sets charon's opt-in to
#              Aggressive Mode with a pre-shared key.
#   --fragmentation
#              force: both sides split large phase 1 messages into IKE
#              fragments (ike_frag force, fragmentation = force) and
#              ipop-espd must log that it sent and reassembled some
#   --chain    depth of the certificate chains with --auth rsasig (default
#              1). With 2, an intermediate CA under the root issues both
#              node certificates. Each side sends the intermediate after its
#              own certificate and trusts only the root, so ipop-espd must
#              verify charon's chain with the intermediate charon sends.
#   --prefix   prefix of the namespaces and interfaces (default ipio-c),
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
nat=""
mode="main"
fragmentation="no"
chain=1
prefix="ipio-c"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --role) role="$2"; shift ;;
    --auth) auth="$2"; shift ;;
    --suite) suite="$2"; shift ;;
    --nat) nat="$2"; shift ;;
    --mode) mode="$2"; shift ;;
    --fragmentation) fragmentation="$2"; shift ;;
    --chain) chain="$2"; shift ;;
    --prefix) prefix="$2"; shift ;;
    --keep) keep=1 ;;
    *) echo "charon_case: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

case "$role" in initiator|responder) ;; *) echo "charon_case: --role must be initiator or responder" >&2; exit 2 ;; esac
case "$auth" in rsasig|psk) ;; *) echo "charon_case: --auth must be rsasig or psk" >&2; exit 2 ;; esac
case "$mode" in main|aggressive) ;; *) echo "charon_case: --mode must be main or aggressive" >&2; exit 2 ;; esac
case "$chain" in 1|2) ;; *) echo "charon_case: --chain must be 1 or 2" >&2; exit 2 ;; esac
[ "$chain" = 1 ] || [ "$auth" = rsasig ] || { echo "charon_case: --chain 2 needs --auth rsasig" >&2; exit 2; }
case "$fragmentation" in
  no) ike_frag_racoon="off"; fragment_size_charon=1280 ;;
  force) ike_frag_racoon="force"; fragment_size_charon=576 ;;
  *) echo "charon_case: --fragmentation must be no or force" >&2; exit 2 ;;
esac
aggressive_charon="no"
[ "$mode" = main ] || aggressive_charon="yes"
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
  modp2048)
    ike_racoon="encryption_algorithm aes 128; hash_algorithm sha256; dh_group modp2048;"
    esp_racoon="encryption_algorithm aes 128; authentication_algorithm hmac_sha256; pfs_group modp2048;"
    ike_charon="aes128-sha256-modp2048"
    esp_charon="aes128-sha256-modp2048"
    esp_ours="AES-CBC-128 HMAC-SHA2-256-128"
    esp_theirs="ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048"
    ;;
  gcm)
    ike_racoon="encryption_algorithm aes 128; hash_algorithm sha256; dh_group modp2048;"
    esp_racoon="encryption_algorithm aes_gcm_16 128; authentication_algorithm non_auth; pfs_group modp2048;"
    ike_charon="aes128-sha256-modp2048"
    esp_charon="aes128gcm16-modp2048"
    esp_ours="AES-GCM-16-128"
    esp_theirs="ESP:AES_GCM_16_128/MODP_2048"
    ;;
  ecp384)
    ike_racoon="encryption_algorithm aes 256; hash_algorithm sha384; dh_group ecp384;"
    esp_racoon="encryption_algorithm aes 256; authentication_algorithm hmac_sha384; pfs_group ecp384;"
    ike_charon="aes256-sha384-ecp384"
    esp_charon="aes256-sha384-ecp384"
    esp_ours="AES-CBC-256 HMAC-SHA2-384-192"
    esp_theirs="ESP:AES_CBC_256/HMAC_SHA2_384_192/ECP_384"
    ;;
  modp4096)
    ike_racoon="encryption_algorithm aes 256; hash_algorithm sha512; dh_group modp4096;"
    esp_racoon="encryption_algorithm aes 256; authentication_algorithm hmac_sha512; pfs_group modp4096;"
    ike_charon="aes256-sha512-modp4096"
    esp_charon="aes256-sha512-modp4096"
    esp_ours="AES-CBC-256 HMAC-SHA2-512-256"
    esp_theirs="ESP:AES_CBC_256/HMAC_SHA2_512_256/MODP_4096"
    ;;
  *) echo "charon_case: --suite must be modp1024, modp2048, gcm, ecp384 or modp4096" >&2; exit 2 ;;
esac
case "$nat" in
  "") ;;
  ours) [ "$role" = initiator ] || { echo "charon_case: --nat ours needs --role initiator" >&2; exit 2; } ;;
  charon) [ "$role" = responder ] || { echo "charon_case: --nat charon needs --role responder" >&2; exit 2; } ;;
  *) echo "charon_case: --nat must be ours or charon" >&2; exit 2 ;;
esac
if [ "${#prefix}" -gt 10 ]; then
  echo "charon_case: --prefix \"$prefix\" is longer than 10 characters" >&2
  exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "charon_case: SKIPPED: needs root for network namespaces" >&2
  exit "$skip_status"
fi
readonly charon_bin=/usr/lib/ipsec/charon
tools=("$charon_bin" swanctl unshare ip openssl tcpdump tshark)
[ -z "$nat" ] || tools+=(nft)
for tool in "${tools[@]}"; do
  if ! command -v "$tool" >/dev/null; then
    echo "charon_case: SKIPPED: $tool not found; install it with tools/install-deps.sh" >&2
    exit "$skip_status"
  fi
done
espd="$bin_dir/ipop-espd"
esp_cli="$bin_dir/ipop-esp"
for binary in "$espd" "$esp_cli"; do
  if [ ! -x "$binary" ]; then
    echo "charon_case: $binary not found; build the project first" >&2
    exit 1
  fi
done

readonly ns_ours="$prefix-i" ns_charon="$prefix-c" ns_nat="$prefix-n"
# Each peer's own address, and the address its packets carry when they
# reach the other peer.
address_ours="10.79.0.1"
address_charon="10.79.0.2"
readonly nat_outside="10.79.0.254" nat_inside="10.79.1.254"
case "$nat" in
  ours) address_ours="10.79.1.1" ;;
  charon) address_charon="10.79.1.2" ;;
esac
seen_ours="$address_ours"
seen_charon="$address_charon"
case "$nat" in
  ours) seen_ours="$nat_outside" ;;
  charon) seen_charon="$nat_outside" ;;
esac
readonly address_ours address_charon seen_ours seen_charon
readonly tun_name="ipioesp0"
readonly psk_secret="ipio-interop-test-secret"
name="charon-$role-$auth-$suite${nat:+-nat-$nat}"
[ "$mode" = main ] || name="$name-$mode"
[ "$fragmentation" = no ] || name="$name-frag-$fragmentation"

fail() { echo "$name: FAILED: $*" >&2; exit 1; }
note() { echo "$name: $*"; }

work="$(mktemp -d "/tmp/ipio-$prefix.XXXXXX")"
espd_pid=""
charon_pid=""
tcpdump_pid=""

cleanup() {
  local status=$?
  set +e
  for pid in "$espd_pid" "$charon_pid" "$tcpdump_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
    fi
  done
  for pid in "$espd_pid" "$charon_pid" "$tcpdump_pid"; do
    if [ -n "$pid" ]; then
      wait "$pid" 2>/dev/null
    fi
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
  [ -z "$nat" ] || ip netns del "$ns_nat" 2>/dev/null
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

namespaces=("$ns_ours" "$ns_charon")
[ -z "$nat" ] || namespaces+=("$ns_nat")
for ns in "${namespaces[@]}"; do
  if ip netns list | grep -qw "^$ns"; then
    fail "namespace $ns already exists; remove it with: ip netns del $ns"
  fi
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
if [ -z "$nat" ]; then
  ip -n "$ns_ours" link add "$prefix-ei" type veth peer name "$prefix-ec" netns "$ns_charon"
else
  # Each peer gets a link to the router. The one behind the NAT routes
  # everything through it; the other has no route to 10.79.1.0/24.
  ip -n "$ns_ours" link add "$prefix-ei" type veth peer name "$prefix-ni" netns "$ns_nat"
  ip -n "$ns_charon" link add "$prefix-ec" type veth peer name "$prefix-nc" netns "$ns_nat"
  if [ "$nat" = ours ]; then
    inside_link="$prefix-ni" outside_link="$prefix-nc" inside_ns="$ns_ours"
  else
    inside_link="$prefix-nc" outside_link="$prefix-ni" inside_ns="$ns_charon"
  fi
  ip -n "$ns_nat" addr add "$nat_inside/24" dev "$inside_link"
  ip -n "$ns_nat" addr add "$nat_outside/24" dev "$outside_link"
  ip -n "$ns_nat" link set "$inside_link" up
  ip -n "$ns_nat" link set "$outside_link" up
  ip netns exec "$ns_nat" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$ns_nat" nft -f - <<NFT
table ip ipio_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat;
    oifname "$outside_link" ip saddr 10.79.1.0/24 masquerade
  }
}
NFT
fi
ip -n "$ns_ours" addr add "$address_ours/24" dev "$prefix-ei"
ip -n "$ns_charon" addr add "$address_charon/24" dev "$prefix-ec"
ip -n "$ns_ours" link set "$prefix-ei" up
ip -n "$ns_charon" link set "$prefix-ec" up
[ -z "$nat" ] || ip -n "$inside_ns" route add default via "$nat_inside"

# --- Credentials: an IPOP-style CA (CN = node address) and a pre-shared key ------

ours="$work/ours"
charon="$work/charon"
swanctl_dir="$charon/swanctl"
mkdir -p "$ours/certs" "$charon/run" "$swanctl_dir"/{x509,x509ca,private}
openssl genrsa -out "$work/rootCA.key" 2048 2>/dev/null
openssl req -x509 -new -nodes -key "$work/rootCA.key" -sha256 -days 2 \
  -subj "/CN=ipop-esp interop CA" -out "$work/rootCA.pem"
# The CA that issues the node certificates: the root itself, or with
# --chain 2 an intermediate CA under it.
issuer="rootCA"
if [ "$chain" = 2 ]; then
  issuer="interCA"
  openssl genrsa -out "$work/interCA.key" 2048 2>/dev/null
  openssl req -new -key "$work/interCA.key" -subj "/CN=ipop-esp interop intermediate CA" \
    -out "$work/interCA.csr"
  printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$work/interCA.ext"
  openssl x509 -req -in "$work/interCA.csr" -CA "$work/rootCA.pem" -CAkey "$work/rootCA.key" \
    -CAcreateserial -days 2 -sha256 -extfile "$work/interCA.ext" -out "$work/interCA.pem" 2>/dev/null
fi
make_node_certificate() {
  local address="$1" key="$2" cert="$3"
  openssl genrsa -out "$key" 2048 2>/dev/null
  openssl req -new -key "$key" -subj "/CN=$address" -out "$work/$address.csr"
  openssl x509 -req -in "$work/$address.csr" -CA "$work/$issuer.pem" -CAkey "$work/$issuer.key" \
    -CAcreateserial -days 2 -sha256 -out "$cert" 2>/dev/null
}
make_node_certificate "$address_ours" "$ours/certs/key.pem" "$ours/certs/cert.pem"
make_node_certificate "$address_charon" "$swanctl_dir/private/charon.pem" "$swanctl_dir/x509/charon.pem"
if [ "$chain" = 2 ]; then
  # ipop-espd sends the certificates after its own in cert.pem; charon
  # sends the CA certificates it needs to reach the root from x509ca.
  cat "$work/interCA.pem" >>"$ours/certs/cert.pem"
  cp "$work/interCA.pem" "$swanctl_dir/x509ca/interCA.pem"
fi
cp "$work/rootCA.pem" "$ours/certs/rootCA.pem"
cp "$work/rootCA.pem" "$swanctl_dir/x509ca/rootCA.pem"
install -m 0600 /dev/null "$ours/psk.txt"
echo "$address_charon $psk_secret" >"$ours/psk.txt"
# The identity charon sends is its own address also behind the NAT, but
# ipop-espd looks the key up by the address the packets come from.
[ "$seen_charon" = "$address_charon" ] || echo "$seen_charon $psk_secret" >>"$ours/psk.txt"

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
        exchange_mode $mode;
        ike_frag $ike_frag_racoon;
        nat_traversal on;
}
sainfo anonymous {
        $esp_racoon
        compression_algorithm deflate;
}
EOF
cat >"$ours/setkey.conf" <<EOF
spdadd $address_ours/32 $seen_charon/32 any -P out ipsec esp/transport//require;
spdadd $seen_charon/32 $address_ours/32 any -P in ipsec esp/transport//require;
EOF

# --- charon configuration -------------------------------------------------------

# An explicit plugin list (load_modular = no) keeps charon from opening the
# shared stroke socket, and the vici socket lives in the work directory.
cat >"$charon/strongswan.conf" <<EOF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints gmp aes sha1 sha2 hmac gcm kdf kernel-netlink socket-default vici
  install_routes = no
  retransmit_tries = 3
  # charon accepts Aggressive Mode with a pre-shared key only with this set.
  i_dont_care_about_security_and_use_aggressive_mode_psk = $aggressive_charon
  # IP datagram size of charon's fragments; its default of 1280 leaves
  # messages with one 2048-bit certificate whole.
  fragment_size = $fragment_size_charon
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
      net = 1
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
    remote_addrs = $seen_ours
    proposals = $ike_charon
    fragmentation = $fragmentation
    aggressive = $aggressive_charon
    $auth_charon
    children {
      ipop {
        mode = transport
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

# -d adds the debug line for the inbound SA that the responder installs
# ahead of HASH(3), which the responder case checks.
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
  # No reply is expected: charon cannot install the SAs on this kernel.
  ip netns exec "$ns_ours" ping -n -c 1 -W 1 "$seen_charon" >/dev/null 2>&1 || true
else
  note "charon initiates (swanctl --initiate)"
  ip netns exec "$ns_charon" swanctl --initiate --child ipop --timeout 30 --uri "$vici" \
    >"$charon/swanctl-initiate.log" 2>&1 || true
fi

established_count() { grep -c "IPsec-SA established" "$ours/daemon.log" || true; }
# ipop-espd prints SPIs in hex without leading zeros, charon with them.
pad_spis() { while read -r hex; do [ -n "$hex" ] && printf '%08x\n' "0x$hex"; done; true; }
# Quick Mode ends with both ESP SAs on our side, or with charon's failed
# install when it is the initiator (see the checks below).
for _ in $(seq 300); do
  [ "$(established_count)" -ge 2 ] && break
  grep -q "NO-PROPOSAL-CHOSEN received" "$ours/daemon.log" && break
  sleep 0.1
done
sleep 1
ip netns exec "$ns_ours" "$esp_cli" --control "$ours/ipop-espd.sock" sa >"$ours/sa.txt" 2>&1 || true
ip netns exec "$ns_charon" swanctl --list-sas --uri "$vici" >"$charon/list-sas.txt" 2>&1 || true

# --- Checks -----------------------------------------------------------------------

note "ipop-espd:"
grep -E "ISAKMP-SA established|IPsec-SA established" "$ours/daemon.log" | sed 's/^/  /' || true
note "charon:"
grep -E "IKE_SA ipop\[[0-9]+\] established|selected proposal|adding SAD entry|unable to install" \
  "$charon/charon.log" | sed 's/^/  /' || true

grep -q "ISAKMP-SA established" "$ours/daemon.log" || fail "ipop-espd logged no ISAKMP-SA established line"
grep -qE "IKE_SA ipop\[[0-9]+\] established" "$charon/charon.log" ||
  fail "charon logged no IKE_SA established line"
if [ "$chain" = 2 ]; then
  # ipop-espd trusts only the root, so charon's certificate verified only
  # through the intermediate that charon sent.
  grep -qF "loaded certificate /CN=$address_ours and 1 intermediate CA certificates" "$ours/daemon.log" ||
    fail "ipop-espd did not load the intermediate CA from cert.pem"
  grep -qF "authenticated as asn1dn \"/CN=$address_charon\"" "$ours/daemon.log" ||
    fail "ipop-espd did not authenticate charon's certificate chain"
  note "chain of depth 2: ipop-espd verified charon's certificate through the intermediate CA charon sent"
fi
grep -qF "selected proposal: $esp_theirs" "$charon/charon.log" ||
  fail "charon did not select $esp_theirs"
charon_spis="$(grep -o "adding SAD entry with SPI [0-9a-f]*" "$charon/charon.log" |
  awk '{print $NF}' | sort -u)"
[ "$(echo "$charon_spis" | wc -w)" -eq 2 ] || fail "charon did not try to add exactly two SAs"
# The only kernel errors allowed are those of a kernel without ESP. On
# Debian 12's kernel here, XFRM returned ENOSYS (38) for 3DES SAs and
# EPROTONOSUPPORT (93) for AES-CBC and AES-GCM SAs.
other_errors="$(grep "received netlink error" "$charon/charon.log" |
  grep -v -e "Function not implemented (38)" -e "Protocol not supported (93)" || true)"
[ -z "$other_errors" ] || fail "charon's kernel interface failed for another reason: $other_errors"

if [ "$role" = initiator ]; then
  # charon as responder installs after HASH(3), so Quick Mode completes on
  # both sides: both SPIs must be the same on both sides.
  [ "$(established_count)" -ge 2 ] || fail "ipop-espd did not establish both ESP SAs"
  our_spis="$(grep -o "IPsec-SA established: .* spi=[0-9]*(0x[0-9a-f]*)" "$ours/daemon.log" |
    sed 's/.*(0x\([0-9a-f]*\))/\1/' | pad_spis | sort -u)"
  note "SPIs ipop-espd: $(echo $our_spis), charon: $(echo $charon_spis)"
  [ "$(echo "$our_spis" | wc -w)" -eq 2 ] || fail "ipop-espd did not log exactly two SPIs"
  [ "$our_spis" = "$charon_spis" ] || fail "the SPIs differ between ipop-espd and charon"
  sed 's/^/  /' "$ours/sa.txt"
  for spi in $our_spis; do
    # `ipop-esp sa` shows each SPI as DECIMAL(0xHEX); match the decimal.
    grep -F " $((16#$spi))(" "$ours/sa.txt" | grep -qF "$esp_ours" ||
      fail "ipop-esp sa does not list SPI 0x$spi with $esp_ours"
  done
else
  # charon as initiator installs its SAs when Quick Mode message 2 arrives,
  # before it sends HASH(3). On this kernel that fails, so it replies with
  # NO-PROPOSAL-CHOSEN instead, and HASH(3) never comes. What both sides can
  # show: charon accepted our message 2 (HASH(2), SA, SPI) and chose the
  # suite, and the SPI we allocated is one of the two it tried to install.
  our_inbound="$(grep -o "inbound SA spi=[0-9]*(0x[0-9a-f]*) from .* installed ahead of HASH(3)" \
    "$ours/daemon.log" | sed 's/.*(0x\([0-9a-f]*\)).*/\1/' | head -n 1 | pad_spis)"
  note "SPIs ipop-espd inbound: $our_inbound, charon: $(echo $charon_spis)"
  [ -n "$our_inbound" ] || fail "ipop-espd did not send Quick Mode message 2"
  echo "$charon_spis" | grep -qx "$our_inbound" || fail "charon did not use our inbound SPI 0x$our_inbound"
  grep -q "ERROR: phase2 negotiation failed due to time up" "$ours/daemon.log" ||
    grep -q "NO-PROPOSAL-CHOSEN received" "$ours/daemon.log" ||
    fail "ipop-espd logged neither charon's NO-PROPOSAL-CHOSEN nor a phase 2 time-out"
fi

if [ -n "$nat" ]; then
  # Behind the NAT is us (ME) or charon (PEER); charon words it as its
  # local or remote host being behind a NAT.
  if [ "$nat" = ours ]; then
    ours_sees="NAT detected: ME" charon_sees="remote host is behind NAT"
  else
    ours_sees="NAT detected: PEER" charon_sees="local host is behind NAT"
  fi
  grep -qF "$ours_sees" "$ours/daemon.log" || fail "ipop-espd did not log \"$ours_sees\""
  grep -qF "$charon_sees" "$charon/charon.log" || fail "charon did not log \"$charon_sees\""
  grep -qE "ISAKMP-SA established $address_ours\[4500\]-$seen_charon\[[0-9]+\]" "$ours/daemon.log" ||
    fail "the ISAKMP SA of ipop-espd is not on UDP 4500 at $address_ours"
  if [ "$role" = initiator ]; then
    # Both ESP SAs carry ESP in UDP 4500 (the peer's port is the NAT's on
    # the inbound SA when we are not the side behind it).
    [ "$(grep -c "udp-encap" "$ours/sa.txt")" -ge 2 ] ||
      fail "ipop-esp sa does not list two UDP-encapsulated SAs"
  fi
  note "NAT: ipop-espd and charon both detected it; IKE and ESP use UDP 4500"
fi

if [ "$mode" = aggressive ]; then
  grep -q "begin Aggressive mode." "$ours/daemon.log" || fail "ipop-espd did not run Aggressive Mode"
  note "Aggressive Mode: both sides established the ISAKMP SA"
fi
if [ "$fragmentation" != no ]; then
  grep -qE "message to .* in [0-9]+ fragments" "$ours/daemon.log" ||
    fail "ipop-espd sent no phase 1 message in IKE fragments"
  grep -q "reassembled a [0-9]*-byte message" "$ours/daemon.log" ||
    fail "ipop-espd reassembled no message from charon's IKE fragments"
  note "IKE fragmentation: ipop-espd sent and reassembled fragmented messages"
fi

# --- tshark with our key log ---------------------------------------------------------

# Every message ipop-espd sent must dissect, and every encrypted one must
# decrypt with the keys ipop-espd logged.
sleep 0.5
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=""
[ -s "$ours/keys.log" ] || fail "ipop-espd wrote no key log"
quick_min=1
if [ "$role" = initiator ]; then
  quick_min=2  # QM1 and HASH(3); as responder only QM2
fi
# Aggressive Mode sends no encrypted phase 1 message, and fragments carry
# Main Mode messages 5 and 6 inside unencrypted fragment headers.
main_min=1
if [ "$mode" = aggressive ] || [ "$fragmentation" != no ]; then
  main_min=0
fi
check_isakmp_from "$work/capture.pcap" "$ours/keys.log" "$work" "$address_ours" "$main_min" "$quick_min"
note "tshark decrypted every encrypted ISAKMP message ipop-espd sent"
