# Shell functions shared by the interop cases. The caller defines fail()
# and the variables each function names before it calls them.

# Starts tcpdump on INTERFACE ($2) in namespace NAMESPACE ($1), writing
# CAPTURE ($3), and waits until it listens. Sets tcpdump_pid. The log goes
# next to the capture.
start_capture() {
  local namespace="$1" interface="$2" capture="$3" log="${3%.pcap}.tcpdump.log"
  ip netns exec "$namespace" tcpdump -i "$interface" -n -U -w "$capture" 2>"$log" &
  tcpdump_pid=$!
  for _ in $(seq 50); do
    grep -q "listening on" "$log" 2>/dev/null && break
    sleep 0.1
  done
  grep -q "listening on" "$log" || fail "tcpdump did not start: $(cat "$log")"
}

# Sets auth_charon and secrets_charon, the `local`/`remote` sections and the
# `secrets` block of charon's swanctl.conf, for AUTH ($1: rsasig or psk).
# Reads address_charon, address_ours and psk_secret.
charon_auth_sections() {
  if [ "$1" = rsasig ]; then
    auth_charon="local {
      auth = pubkey
      certs = charon.pem
      id = \"CN=$address_charon\"
    }
    remote {
      auth = pubkey
      id = \"CN=$address_ours\"
      cacerts = rootCA.pem
    }"
    secrets_charon=""
  else
    auth_charon="local {
      auth = psk
      id = $address_charon
    }
    remote {
      auth = psk
      id = $address_ours
    }"
    secrets_charon="secrets {
  ike-ipop {
    id = $address_ours
    secret = \"$psk_secret\"
  }
}"
  fi
}
