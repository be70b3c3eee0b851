#!/usr/bin/env bash
# Checks `ipop-espd --keylog` against Wireshark's dissectors.
#
#   namespace PREFIX-a (10.78.0.1)              namespace PREFIX-b (10.78.0.2)
#   ipop-espd --keylog, tcpdump  <--- veth --->  ipop-espd
#
# Node a initiates Main Mode and Quick Mode with a ping, then sends UDP
# datagrams with a random payload to node b over ESP while tcpdump captures
# node a's link. tshark then reads the capture with only node a's key log
# (one `-o uat:...` option per line, in a throwaway Wireshark profile) and
# the test requires that:
#   - no frame is malformed or carries an expert message of error severity;
#   - every encrypted ISAKMP message (Main Mode 5 and 6, all of Quick Mode)
#     decrypts: its inner payloads dissect;
#   - every ESP packet has its ICV reported good and none bad;
#   - the decrypted UDP payloads are exactly the bytes sent, and node b
#     received the same bytes.
#
# Usage: keylog_tshark_test.sh BIN_DIR
#                              [--suite modp1024|modp2048|gcm|sha512|sha384]
#                              [--keylog-from flag|config] [--prefix NAME]
#                              [--keep]
#   --suite   modp1024: 3DES/SHA1 IKE and ESP (the IPOP recipe, default)
#             modp2048: AES-128/SHA2-256 IKE, AES-128/HMAC-SHA2-256-128 ESP
#             gcm:      AES-128/SHA2-256 IKE, AES-GCM-16/128 ESP
#             sha512:   AES-256/SHA2-512/ECP-384 IKE, AES-256/HMAC-SHA2-512-256
#                       ESP with PFS MODP-3072
#             sha384:   AES-128/SHA2-384/ECP-256 IKE, AES-128/HMAC-SHA2-384-192
#                       ESP with PFS ECP-256
#   --keylog-from  flag: node a gets `--keylog FILE` (default); config: node
#             a's racoon.conf gets `path keylog "FILE";` instead
#   --prefix  prefix of namespaces and interfaces (default ipio-k), at most
#             10 characters
#   --keep    keep the work directory (configs, logs, key log, capture)
#
# Exit status: 0 pass, 1 fail, 77 skipped (not root, or tshark or tcpdump
# missing).
set -euo pipefail

readonly skip_status=77
# shellcheck source=tests/interop/tshark_isakmp.sh
. "$(dirname "$0")/tshark_isakmp.sh"
bin_dir="${1:-}"
if [ -z "$bin_dir" ] || [ "$bin_dir" = "-h" ] || [ "$bin_dir" = "--help" ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 2
fi
shift
suite="modp1024"
keylog_from="flag"
prefix="ipio-k"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) suite="$2"; shift ;;
    --keylog-from) keylog_from="$2"; shift ;;
    --prefix) prefix="$2"; shift ;;
    --keep) keep=1 ;;
    *) echo "keylog_tshark: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$suite" in
  modp1024)
    ike_racoon="encryption_algorithm 3des; hash_algorithm sha1; dh_group modp1024;"
    esp_racoon="encryption_algorithm 3des; authentication_algorithm hmac_sha1; pfs_group modp1024;"
    ;;
  modp2048)
    ike_racoon="encryption_algorithm aes 128; hash_algorithm sha256; dh_group modp2048;"
    esp_racoon="encryption_algorithm aes 128; authentication_algorithm hmac_sha256; pfs_group modp2048;"
    ;;
  gcm)
    ike_racoon="encryption_algorithm aes 128; hash_algorithm sha256; dh_group modp2048;"
    esp_racoon="encryption_algorithm aes_gcm_16 128; authentication_algorithm non_auth; pfs_group modp2048;"
    ;;
  sha512)
    ike_racoon="encryption_algorithm aes 256; hash_algorithm sha512; dh_group ecp384;"
    esp_racoon="encryption_algorithm aes 256; authentication_algorithm hmac_sha512; pfs_group modp3072;"
    ;;
  sha384)
    ike_racoon="encryption_algorithm aes 128; hash_algorithm sha384; dh_group ecp256;"
    esp_racoon="encryption_algorithm aes 128; authentication_algorithm hmac_sha384; pfs_group ecp256;"
    ;;
  *) echo "keylog_tshark: --suite must be modp1024, modp2048, gcm, sha512 or sha384" >&2; exit 2 ;;
esac
if [ "${#prefix}" -gt 10 ]; then
  echo "keylog_tshark: --prefix \"$prefix\" is longer than 10 characters" >&2
  exit 2
fi
case "$keylog_from" in flag|config) ;; *) echo "keylog_tshark: --keylog-from must be flag or config" >&2; exit 2 ;; esac
name="keylog-tshark-$suite-$keylog_from"

if [ "$(id -u)" -ne 0 ]; then
  echo "$name: SKIPPED: needs root for network namespaces" >&2
  exit "$skip_status"
fi
for tool in tshark tcpdump ip openssl python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "$name: SKIPPED: $tool not found; install it with tools/install-deps.sh" >&2
    exit "$skip_status"
  fi
done
espd="$bin_dir/ipop-espd"
[ -x "$espd" ] || { echo "$name: $espd not found; build the project first" >&2; exit 1; }

readonly address_a="10.78.0.1" address_b="10.78.0.2"
readonly udp_port=5002 datagram_count=3 datagram_bytes=200
readonly tun_name="ipioesp0"

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
    for node in a b; do
      if [ -f "$work/$node/daemon.log" ]; then
        echo "--- last lines of node $node's daemon log" >&2
        tail -n 20 "$work/$node/daemon.log" >&2
      fi
    done
  fi
  ip netns del "$prefix-a" 2>/dev/null
  ip netns del "$prefix-b" 2>/dev/null
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

# --- Topology and credentials ---------------------------------------------------

for node in a b; do
  if ip netns list | grep -qw "^$prefix-$node"; then
    fail "namespace $prefix-$node already exists; remove it with: ip netns del $prefix-$node"
  fi
done
ip netns add "$prefix-a"
ip netns add "$prefix-b"
ip -n "$prefix-a" link set lo up
ip -n "$prefix-b" link set lo up
ip -n "$prefix-a" link add "$prefix-ea" type veth peer name "$prefix-eb" netns "$prefix-b"
ip -n "$prefix-a" addr add "$address_a/24" dev "$prefix-ea"
ip -n "$prefix-b" addr add "$address_b/24" dev "$prefix-eb"
ip -n "$prefix-a" link set "$prefix-ea" up
ip -n "$prefix-b" link set "$prefix-eb" up

openssl genrsa -out "$work/rootCA.key" 2048 2>/dev/null
openssl req -x509 -new -nodes -key "$work/rootCA.key" -sha256 -days 2 \
  -subj "/CN=ipop-esp key log test CA" -out "$work/rootCA.pem"
for node in a b; do
  address_var="address_$node"
  dir="$work/$node"
  mkdir -p "$dir/certs"
  openssl genrsa -out "$dir/certs/key.pem" 2048 2>/dev/null
  openssl req -new -key "$dir/certs/key.pem" -subj "/CN=${!address_var}" -out "$dir/node.csr"
  openssl x509 -req -in "$dir/node.csr" -CA "$work/rootCA.pem" -CAkey "$work/rootCA.key" \
    -CAcreateserial -days 2 -sha256 -out "$dir/certs/cert.pem" 2>/dev/null
  cp "$work/rootCA.pem" "$dir/certs/rootCA.pem"
  install -m 0600 /dev/null "$dir/psk.txt"
  cat >"$dir/racoon.conf" <<EOF
path pre_shared_key "$dir/psk.txt";
path certificate "$dir/certs";
listen
{
    isakmp ${!address_var} [500];
    isakmp_natt ${!address_var} [4500];
}
remote anonymous {
        proposal {
                $ike_racoon
                authentication_method rsasig;
        }
        certificate_type x509 "cert.pem" "key.pem";
        ca_type x509 "rootCA.pem";
        my_identifier asn1dn;
        verify_identifier off;
        exchange_mode main;
        nat_traversal on;
}
sainfo anonymous {
        $esp_racoon
        compression_algorithm deflate;
}
EOF
  cat >"$dir/setkey.conf" <<EOF
spdadd 10.78.0.0/24 10.78.0.0/24 any -P out ipsec esp/transport//require;
spdadd 10.78.0.0/24 10.78.0.0/24 any -P in ipsec esp/transport//require;
EOF
done

# --- The daemon rejects a key log that others can read ----------------------

install -m 0644 /dev/null "$work/a/open-keys.log"
if ip netns exec "$prefix-a" "$espd" -F -f "$work/a/racoon.conf" --setkey "$work/a/setkey.conf" \
    --control "$work/a/refused.sock" --tun "$tun_name" --keylog "$work/a/open-keys.log" \
    2>"$work/a/refused.log"; then
  fail "ipop-espd started with a key log of mode 0644"
fi
grep -q "chmod 600" "$work/a/refused.log" ||
  fail "the refusal of a mode-0644 key log does not name the chmod fix: $(tail -n 3 "$work/a/refused.log")"
note "a key log of mode 0644 is refused: $(grep -o 'key log .*' "$work/a/refused.log" | head -n 1)"

# --- Capture, daemons and traffic ----------------------------------------------

ip netns exec "$prefix-a" tcpdump -i "$prefix-ea" -n -U -w "$work/capture.pcap" 2>"$work/tcpdump.log" &
tcpdump_pid=$!
pids+=("$tcpdump_pid")
for _ in $(seq 50); do
  grep -q "listening on" "$work/tcpdump.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening on" "$work/tcpdump.log" || fail "tcpdump did not start: $(cat "$work/tcpdump.log")"

for node in a b; do
  dir="$work/$node"
  keylog_args=()
  if [ "$node" = a ] && [ "$keylog_from" = flag ]; then
    keylog_args=(--keylog "$dir/keys.log")
  elif [ "$node" = a ]; then
    echo "path keylog \"$dir/keys.log\";" >>"$dir/racoon.conf"
  fi
  ip netns exec "$prefix-$node" "$espd" -F -f "$dir/racoon.conf" --setkey "$dir/setkey.conf" \
    --control "$dir/ipop-espd.sock" --tun "$tun_name" "${keylog_args[@]}" 2>"$dir/daemon.log" &
  pids+=($!)
done
for node in a b; do
  for _ in $(seq 100); do
    [ -S "$work/$node/ipop-espd.sock" ] && break
    sleep 0.1
  done
  [ -S "$work/$node/ipop-espd.sock" ] || fail "ipop-espd on node $node did not start"
done
grep -q "WARNING: key log: writing the keys" "$work/a/daemon.log" ||
  fail "node a did not warn at start that it writes keys"

ip netns exec "$prefix-a" ping -n -c 2 -i 0.5 -w 30 "$address_b" >/dev/null ||
  fail "ping from $address_a to $address_b got no replies within 30 s"

head -c $((datagram_count * datagram_bytes)) /dev/urandom >"$work/sent.bin"
ip netns exec "$prefix-b" timeout 30 python3 - "$address_b" "$udp_port" "$work/received.bin" \
  "$datagram_count" >"$work/receiver.log" 2>&1 <<'EOF' &
import socket, sys
address, port, path, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
receiver.bind((address, port))
print("listening", flush=True)
with open(path, "wb") as out:
    for _ in range(count):
        out.write(receiver.recv(65536))
EOF
receiver_pid=$!
pids+=("$receiver_pid")
for _ in $(seq 50); do
  grep -q listening "$work/receiver.log" 2>/dev/null && break
  sleep 0.1
done
ip netns exec "$prefix-a" python3 - "$address_b" "$udp_port" "$work/sent.bin" "$datagram_bytes" <<'EOF'
import socket, sys, time
address, port, path, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
data = open(path, "rb").read()
sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for offset in range(0, len(data), size):
    sender.sendto(data[offset:offset + size], (address, port))
    time.sleep(0.1)
EOF
wait "$receiver_pid" || fail "node b did not receive $datagram_count datagrams: $(cat "$work/receiver.log")"
cmp -s "$work/sent.bin" "$work/received.bin" || fail "node b received other bytes than node a sent"

# tcpdump may lag behind on a loaded machine, and packets still queued in
# the kernel are lost when it stops. So wait until the capture file holds
# an ESP packet for every datagram: frames of at least 250 bytes from node
# a, because a ping's ESP frame is about 140 bytes and a datagram's about 290.
for _ in $(seq 100); do
  captured="$(tcpdump -r "$work/capture.pcap" -n "esp and src $address_a and greater 250" 2>/dev/null |
    wc -l)"
  [ "$captured" -ge "$datagram_count" ] && break
  sleep 0.1
done
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true

# --- The key log -----------------------------------------------------------------

keys="$work/a/keys.log"
[ -f "$keys" ] || fail "node a wrote no key log"
[ "$(stat -c %a "$keys")" = 600 ] || fail "the key log has mode $(stat -c %a "$keys"), not 600"
isakmp_lines="$(grep -cv '^"IPv4"' "$keys" || true)"
esp_lines="$(grep -c '^"IPv4"' "$keys" || true)"
note "key log: $isakmp_lines ISAKMP SA line(s), $esp_lines ESP SA line(s)"
[ "$isakmp_lines" -ge 1 ] || fail "the key log has no ISAKMP SA line"
[ "$esp_lines" -ge 2 ] || fail "the key log has fewer than two ESP SA lines"
# The daemon log must not contain any key: check every hex key field.
while IFS= read -r key; do
  if grep -qi "$key" "$work/a/daemon.log"; then
    fail "a key from the key log appears in the daemon log"
  fi
done < <(sed -n 's/^[0-9a-f]*,\([0-9a-f]*\)$/\1/p; s/.*"0x\([0-9a-f]\{16,\}\)".*"0x\([0-9a-f]*\)"$/\1\n\2/p' "$keys" |
         grep -E '^[0-9a-f]{16,}$')

# --- tshark ----------------------------------------------------------------------

tshark_args_for "$work/capture.pcap" "$keys" "$work"
tshark "${tshark_args[@]}" >"$work/tshark-summary.txt" 2>"$work/tshark.err" ||
  fail "tshark failed: $(cat "$work/tshark.err")"
sed 's/^/  /' "$work/tshark-summary.txt"

bad_frames="$(tshark "${tshark_args[@]}" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null)"
[ -z "$bad_frames" ] || fail "tshark reports malformed frames or expert errors:
$bad_frames"

# Node a sends Main Mode message 5 and Quick Mode messages 1 and 3; node b
# sends message 6 and Quick Mode message 2. All must decrypt.
check_isakmp_from "$work/capture.pcap" "$keys" "$work" "$address_a" 1 2
check_isakmp_from "$work/capture.pcap" "$keys" "$work" "$address_b" 1 1

esp_total="$(tshark "${tshark_args[@]}" -Y esp 2>/dev/null | wc -l)"
esp_good="$(tshark "${tshark_args[@]}" -Y 'esp.icv_good == 1' 2>/dev/null | wc -l)"
esp_bad="$(tshark "${tshark_args[@]}" -Y 'esp.icv_bad == 1' 2>/dev/null | wc -l)"
note "ESP packets: $esp_total, ICV good: $esp_good, ICV bad: $esp_bad"
[ "$esp_total" -gt 0 ] || fail "the capture has no ESP packet"
[ "$esp_bad" -eq 0 ] || fail "tshark reports $esp_bad ESP packets with a bad ICV"
[ "$esp_good" -eq "$esp_total" ] || fail "only $esp_good of $esp_total ESP packets have a good ICV"

decrypted_hex="$(tshark "${tshark_args[@]}" -Y "esp && udp.dstport == $udp_port" -T fields -e data.data \
  2>/dev/null | tr -d ':\n')"
sent_hex="$(od -An -v -tx1 "$work/sent.bin" | tr -d ' \n')"
[ -n "$decrypted_hex" ] || fail "tshark decrypted no UDP datagram to port $udp_port"
[ "$decrypted_hex" = "$sent_hex" ] ||
  fail "the UDP payloads tshark decrypted differ from the bytes sent ($((${#decrypted_hex} / 2)) of $((${#sent_hex} / 2)) bytes decrypted)"
note "tshark decrypted $datagram_count UDP datagrams to exactly the bytes sent"
