# Test cases run inside the qemu guest (busybox sh), sourced by guest_init.sh.
# Each case builds a fresh topology of three network namespaces:
#
#   ipqemu-a  address_a  ipqemu-ea --veth-- ipqemu-pa [ipqemu-br in ipqemu-sw]
#   ipqemu-b  address_b  ipqemu-eb --veth-- ipqemu-pb [ipqemu-br in ipqemu-sw]
#
# tcpdump in ipqemu-sw records every frame between the nodes, so each case
# can prove that ESP crossed and cleartext ICMP or TCP did not. A case runs
# in its own `sh -e` process and prints one line for the host:
#   IPQEMU-CASE NAME PASS|FAIL|SKIP SECONDS [reason]

. /test/nodes.sh

readonly http_port=8080
readonly case_timeout_seconds=120
# 1 MiB per direction: the userspace ESP path under TCG moves a few MB/s.
readonly transfer_kib=1024
capture_pid=""
daemon_pids=""

# busybox ash would run its own ip applet, which has no netns or xfrm.
ip() { /usr/sbin/ip "$@"; }
uptime_seconds() { cut -d' ' -f1 /proc/uptime; }
# Runs a command in a node's namespace. Background jobs call /usr/sbin/ip
# directly instead: a backgrounded shell function runs in a forked subshell,
# so $! would be the subshell and not the process to signal.
in_ns() { ns="$1"; shift; /usr/sbin/ip netns exec "ipqemu-$ns" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

setup_topology() {
  for ns in a b sw; do
    ip netns add "ipqemu-$ns"
    ip -n "ipqemu-$ns" link set lo up
  done
  ip -n ipqemu-sw link add ipqemu-br type bridge
  ip -n ipqemu-sw link set ipqemu-br up
  for node in a b; do
    ip -n ipqemu-sw link add "ipqemu-p$node" type veth peer name "ipqemu-e$node" netns "ipqemu-$node"
    ip -n ipqemu-sw link set "ipqemu-p$node" master ipqemu-br up
    ip -n "ipqemu-$node" link set "ipqemu-e$node" up
  done
  ip -n ipqemu-a addr add "$address_a/24" dev ipqemu-ea
  ip -n ipqemu-b addr add "$address_b/24" dev ipqemu-eb

  /usr/sbin/ip netns exec ipqemu-sw tcpdump -i any -n -U -Z root -w /tmp/switch.pcap 2>/tmp/tcpdump.log &
  capture_pid=$!
  for _ in $(seq 50); do
    grep -q "listening on" /tmp/tcpdump.log 2>/dev/null && return 0
    sleep 0.2
  done
  fail "tcpdump did not start: $(cat /tmp/tcpdump.log)"
}

# Stops what the case started, by PID, and deletes the namespaces. Runs
# after every case, also after a failure, from the parent shell.
teardown_topology() {
  for ns in a b sw; do
    for pid in $(ip netns pids "ipqemu-$ns" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null
    done
    ip netns del "ipqemu-$ns" 2>/dev/null
  done
  rm -rf /tmp/switch.pcap /tmp/tcpdump.log /tmp/www-* /tmp/received-* /tmp/daemon-* /tmp/sa-*.txt /tmp/xfrm-*.txt \
    /run/ipqemu-*.sock /tmp/charon*.log /run/charon.vici /var/run/charon.pid /tmp/pluto*.log /run/pluto
}

stop_capture() {
  kill -INT "$capture_pid"
  wait "$capture_pid" || true
}

count_packets() {
  # -Z root: the guest has no tcpdump user to drop privileges to.
  tcpdump -Z root -r /tmp/switch.pcap -n "$1" 2>>/tmp/tcpdump-read.log | wc -l
}

# Fails unless ESP crossed the switch and no cleartext ICMP or TCP did.
check_capture() {
  stop_capture
  between="ip and host $address_a and host $address_b"
  esp_packets="$(count_packets "$between and esp")"
  clear_packets="$(count_packets "$between and (icmp or tcp)")"
  echo "capture on the switch: $esp_packets ESP, $clear_packets cleartext ICMP or TCP"
  [ "$esp_packets" -gt 0 ] || fail "no ESP crossed the switch"
  if [ "$clear_packets" -ne 0 ]; then
    tcpdump -Z root -r /tmp/switch.pcap -n -v "$between and (icmp or tcp)" 2>/dev/null | head -n 20
    fail "$clear_packets cleartext ICMP or TCP packets crossed the switch"
  fi
}

# Fails unless ESP crossed the switch only inside UDP port 4500, as NAT-T
# encapsulation (RFC 3948) sends it, and no cleartext ICMP or TCP did.
check_capture_udp_encapsulated() {
  stop_capture
  between="ip and host $address_a and host $address_b"
  bare_esp_packets="$(count_packets "$between and esp")"
  # A non-zero first word after the UDP header is an SPI. IKE on port 4500
  # starts with the 4-byte non-ESP marker (zero), and a NAT keepalive is one
  # byte, so neither is counted.
  encapsulated_packets="$(count_packets "$between and udp port 4500 and udp[8:4] != 0")"
  clear_packets="$(count_packets "$between and (icmp or tcp)")"
  echo "capture on the switch: $encapsulated_packets ESP in UDP 4500, $bare_esp_packets bare ESP," \
    "$clear_packets cleartext ICMP or TCP"
  [ "$encapsulated_packets" -gt 0 ] || fail "no UDP-encapsulated ESP crossed the switch"
  [ "$bare_esp_packets" -eq 0 ] || fail "$bare_esp_packets ESP packets crossed the switch outside UDP"
  if [ "$clear_packets" -ne 0 ]; then
    tcpdump -Z root -r /tmp/switch.pcap -n -v "$between and (icmp or tcp)" 2>/dev/null | head -n 20
    fail "$clear_packets cleartext ICMP or TCP packets crossed the switch"
  fi
}

# Waits up to $3 seconds for a first reply (the first packets may be dropped
# while IKE negotiates), then requires 3 of 3 replies.
ping_peer() {
  from="$1" to="$2" limit="$3"
  deadline=$(($(cut -d. -f1 /proc/uptime) + limit))
  until in_ns "$from" ping -c 1 -W 1 "$to" >/tmp/first-ping.log 2>&1; do
    [ "$(cut -d. -f1 /proc/uptime)" -lt "$deadline" ] ||
      fail "ping from node $from to $to got no reply within $limit s: $(tail -n 3 /tmp/first-ping.log)"
  done
  in_ns "$from" ping -c 3 -W 2 "$to" || fail "ping from node $from to $to lost packets after the first reply"
}

# Serves random data over HTTP from node $1 and fetches it from node $2; the
# SHA-256 sums must match.
transfer() {
  server="$1" client="$2" server_address="$3"
  mkdir -p "/tmp/www-$server"
  dd if=/dev/urandom of="/tmp/www-$server/data" bs=1024 count="$transfer_kib" 2>/dev/null
  /usr/sbin/ip netns exec "ipqemu-$server" httpd -f -p "$server_address:$http_port" -h "/tmp/www-$server" &
  httpd_pid=$!
  sleep 1
  started="$(uptime_seconds)"
  # busybox 1.35's wget crashes with -T, so timeout bounds it instead.
  in_ns "$client" timeout 60 wget -q -O "/tmp/received-$client" "http://$server_address:$http_port/data" ||
    fail "wget from node $client to node $server failed"
  finished="$(uptime_seconds)"
  kill "$httpd_pid"
  wait "$httpd_pid" 2>/dev/null || true
  sent_sum="$(sha256sum <"/tmp/www-$server/data" | cut -d' ' -f1)"
  received_sum="$(sha256sum <"/tmp/received-$client" | cut -d' ' -f1)"
  echo "TCP $server -> $client: ${transfer_kib} KiB in $(echo "$finished $started" | awk '{ printf "%.1f", $1 - $2 }') s, sha256 $received_sum"
  [ "$sent_sum" = "$received_sum" ] || fail "SHA-256 differs for $server -> $client: sent $sent_sum"
}

# --- Case: kernel ESP with manual SAs ----------------------------------------

# Prints the `ip xfrm state` algorithm arguments for a proposal. The keys are
# fixed test values whose last byte is the direction ($2), so the SAs differ.
kernel_algorithm() {
  proposal="$1" direction="$2"
  case "$proposal" in
    3des-sha1)
      echo "enc cbc(des3_ede) 0x0102030405060708090a0b0c0d0e0f101112131415161718 auth-trunc hmac(sha1) 0x2122232425262728292a2b2c2d2e2f303132330$direction 96" ;;
    aes-sha256)
      echo "enc cbc(aes) 0x4142434445464748494a4b4c4d4e4f0$direction auth-trunc hmac(sha256) 0x6162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f0$direction 128" ;;
    aes-gcm)
      echo "aead rfc4106(gcm(aes)) 0x8182838485868788898a8b8c8d8e8f909192930$direction 128" ;;
  esac
}

case_kernel_manual_sa() {
  proposal="$1"
  trap 'dmesg | tail -n 10' EXIT
  setup_topology
  for node in a b; do
    # shellcheck disable=SC2046 # the algorithm arguments are split on purpose
    ip -n "ipqemu-$node" xfrm state add src "$address_a" dst "$address_b" proto esp spi 0x1001 \
      mode transport $(kernel_algorithm "$proposal" 1)
    # shellcheck disable=SC2046
    ip -n "ipqemu-$node" xfrm state add src "$address_b" dst "$address_a" proto esp spi 0x1002 \
      mode transport $(kernel_algorithm "$proposal" 2)
  done
  for node in a b; do
    if [ "$node" = a ]; then local_address="$address_a" peer="$address_b"; else local_address="$address_b" peer="$address_a"; fi
    ip -n "ipqemu-$node" xfrm policy add src "$local_address/32" dst "$peer/32" dir out \
      tmpl src "$local_address" dst "$peer" proto esp mode transport
    ip -n "ipqemu-$node" xfrm policy add src "$peer/32" dst "$local_address/32" dir in \
      tmpl src "$peer" dst "$local_address" proto esp mode transport
  done
  ping_peer a "$address_b" 20
  transfer b a "$address_b"
  transfer a b "$address_a"
  ip -n ipqemu-b -s xfrm state | grep -A1 "lifetime current" | sed 's/^/  /'
  check_capture
  trap - EXIT
}

# --- Cases: two ipop-espd daemons ------------------------------------------------

# Prints the ipop-espd option for an offload mode, or nothing for userspace
# when this ipop-espd has no --offload option (every SA is userspace then).
offload_option() {
  if ipop-espd --help 2>&1 | grep -q -- "--offload"; then
    echo "--offload $1"
  elif [ "$1" != userspace ]; then
    return 1
  fi
}

start_daemon() {
  node="$1" proposal="$2" offload="$3"
  option="$(offload_option "$offload")" || return 1
  # A socket left by a killed daemon would look like a started one, and the
  # case would send traffic before the daemon's policies exist.
  rm -f "/run/ipqemu-$node.sock"
  # shellcheck disable=SC2086 # $option is empty or two words
  /usr/sbin/ip netns exec "ipqemu-$node" ipop-espd -F -d -f "/test/$node/racoon-$proposal.conf" --setkey "/test/$node/setkey.conf" \
    --control "/run/ipqemu-$node.sock" --tun ipqemu-t0 $option 2>"/tmp/daemon-$node.log" &
  eval "daemon_pid_$node=$!"
  daemon_pids="$daemon_pids $!"
  for _ in $(seq 100); do
    [ -S "/run/ipqemu-$node.sock" ] && return 0
    sleep 0.2
  done
  tail -n 20 "/tmp/daemon-$node.log"
  fail "ipop-espd on node $node opened no control socket"
}

show_daemon_logs() {
  for node in a b; do
    [ -f "/tmp/daemon-$node.log" ] || continue
    echo "--- last lines of node $node's daemon log"
    tail -n 25 "/tmp/daemon-$node.log"
    echo "--- routing and XFRM policies of node $node"
    ip -n "ipqemu-$node" rule
    ip -n "ipqemu-$node" route show table all | grep -v -E "^(local|broadcast|multicast|fe80|ff00)"
    ip -n "ipqemu-$node" -s link show ipqemu-t0
    in_ns "$node" cat /proc/net/xfrm_stat | grep -v -E "[[:space:]]0$"
    for setting in disable_xfrm disable_policy rp_filter; do
      echo "$setting: $(in_ns "$node" cat "/proc/sys/net/ipv4/conf/ipqemu-t0/$setting")"
    done
  done
}

# $1 names the racoon-$1.conf of both nodes. $4, when given, names a function
# that checks the SAs and the capture in place of check_capture.
case_daemons() {
  proposal="$1" offload_a="$2" offload_b="$3" check_sas="${4:-check_capture}"
  if ! offload_option "$offload_a" >/dev/null || ! offload_option "$offload_b" >/dev/null; then
    echo "SKIP: ipop-espd has no --offload option"
    exit 77
  fi
  setup_topology
  trap show_daemon_logs EXIT
  start_daemon a "$proposal" "$offload_a"
  start_daemon b "$proposal" "$offload_b"
  # The first ping starts IKE; RSA and MODP-1024 under TCG take seconds.
  ping_peer a "$address_b" 60
  ping_peer b "$address_a" 20
  transfer b a "$address_b"
  transfer a b "$address_a"
  for node in a b; do
    echo "ipop-esp sa on node $node:"
    in_ns "$node" ipop-esp --control "/run/ipqemu-$node.sock" sa >"/tmp/sa-$node.txt"
    sed 's/^/  /' "/tmp/sa-$node.txt"
  done
  # The last column of each ESP SA line names the backend that carries it.
  grep -q " transport .* $offload_a[[:space:]]*\$" /tmp/sa-a.txt || fail "node a has no ESP SA carried by $offload_a"
  grep -q " transport .* $offload_b[[:space:]]*\$" /tmp/sa-b.txt || fail "node b has no ESP SA carried by $offload_b"
  "$check_sas"
  trap - EXIT
}

# Node a (kernel) must carry HMAC-SHA2-256 with a 96-bit ICV in both XFRM
# states, and both daemons must report HMAC-SHA2-256-96 SAs.
check_sha256_96_sas() {
  ip -n ipqemu-a xfrm state >/tmp/xfrm-a.txt
  grep "auth-trunc" /tmp/xfrm-a.txt | sed 's/0x[0-9a-f]*/KEY/; s/^/  node a XFRM: /'
  icv_96_states="$(grep -c "auth-trunc hmac(sha256) 0x[0-9a-f]* 96\$" /tmp/xfrm-a.txt || true)"
  [ "$icv_96_states" -eq 2 ] || fail "node a has $icv_96_states XFRM states with hmac(sha256) truncated to 96 bits, expected 2"
  for node in a b; do
    grep -q "HMAC-SHA2-256-96" "/tmp/sa-$node.txt" || fail "node $node reports no HMAC-SHA2-256-96 SA"
  done
  check_capture
}

# Node a (kernel) must install both XFRM states as hmac(sha512) truncated to
# 256 bits (RFC 4868 §2.1), and both daemons must report HMAC-SHA2-512-256.
check_sha512_sas() {
  ip -n ipqemu-a xfrm state >/tmp/xfrm-a.txt
  grep "auth-trunc" /tmp/xfrm-a.txt | sed 's/0x[0-9a-f]*/KEY/; s/^/  node a XFRM: /'
  icv_256_states="$(grep -c "auth-trunc hmac(sha512) 0x[0-9a-f]* 256\$" /tmp/xfrm-a.txt || true)"
  [ "$icv_256_states" -eq 2 ] || fail "node a has $icv_256_states XFRM states with hmac(sha512) truncated to 256 bits, expected 2"
  for node in a b; do
    grep -q "HMAC-SHA2-512-256" "/tmp/sa-$node.txt" || fail "node $node reports no HMAC-SHA2-512-256 SA"
  done
  check_capture
}

# Node a (kernel) must install both XFRM states with UDP encapsulation on
# port 4500 (XFRMA_ENCAP), and both nodes must report encapsulated SAs.
check_udp_encapsulated_sas() {
  ip -n ipqemu-a xfrm state >/tmp/xfrm-a.txt
  grep "encap" /tmp/xfrm-a.txt | sed 's/^/  node a XFRM: /'
  encap_states="$(grep -c "encap type espinudp sport 4500 dport 4500" /tmp/xfrm-a.txt || true)"
  [ "$encap_states" -eq 2 ] || fail "node a has $encap_states XFRM states encapsulated in UDP 4500, expected 2"
  for node in a b; do
    grep -q "udp-encap 4500->4500" "/tmp/sa-$node.txt" || fail "node $node reports no SA encapsulated in UDP 4500"
  done
  check_capture_udp_encapsulated
}

# Kills node a's daemon with SIGKILL while node b sends it data, then checks
# that no cleartext crossed the switch: the XFRM policies outlive the daemon.
case_kill_during_transfer() {
  offload_a="$1"
  if ! offload_option "$offload_a" >/dev/null; then
    echo "SKIP: ipop-espd has no --offload option"
    exit 77
  fi
  setup_topology
  trap show_daemon_logs EXIT
  start_daemon a 3des-sha1 "$offload_a"
  start_daemon b 3des-sha1 userspace
  ping_peer a "$address_b" 60

  mkdir -p /tmp/www-b
  dd if=/dev/urandom of=/tmp/www-b/data bs=1024 count=$((transfer_kib * 8)) 2>/dev/null
  /usr/sbin/ip netns exec ipqemu-b httpd -f -p "$address_b:$http_port" -h /tmp/www-b &
  # httpd has no readiness signal. Without the pause wget can connect before
  # it listens and give up at once with "connection refused".
  sleep 1
  /usr/sbin/ip netns exec ipqemu-a ping -i 0.2 -w 20 "$address_b" >/tmp/ping-after-kill.log 2>&1 &
  ping_pid=$!
  /usr/sbin/ip netns exec ipqemu-a timeout 20 wget -q -O /tmp/received-a "http://$address_b:$http_port/data" 2>/dev/null &
  wget_pid=$!
  # Kill once data flows. The first TCP segments may be lost while the
  # second SA is still being installed, and TCP then retries after 1 s or more.
  for _ in $(seq 60); do
    sleep 0.25
    received_before="$(stat -c %s /tmp/received-a 2>/dev/null || echo 0)"
    [ "$received_before" -gt 65536 ] && break
  done
  eval "kill -KILL \$daemon_pid_a"
  echo "killed node a's ipop-espd with SIGKILL after $received_before bytes"
  [ "$received_before" -gt 0 ] || fail "no data arrived before the kill, so the kill did not interrupt a transfer"
  wait "$ping_pid" || true
  # With kernel offload the SAs outlive the daemon, so the transfer may go on
  # in ESP. With userspace ESP nothing can carry it once the daemon is gone.
  if wait "$wget_pid" && [ "$offload_a" = userspace ]; then
    fail "the transfer finished although node a's userspace ESP daemon was killed"
  fi
  echo "ping during and after the kill: $(grep -c "bytes from" /tmp/ping-after-kill.log) replies"
  in_ns a ip xfrm policy | grep -E "^src|action block" | sed 's/^/  /' || true
  check_capture
  trap - EXIT
}

# --- Cases: ipop-espd against strongSwan's charon ----------------------------------

show_charon_logs() {
  show_daemon_logs
  if [ -f /tmp/charon.log ]; then
    echo "--- last lines of charon's log on node b"
    tail -n 30 /tmp/charon.log
  fi
  ip -n ipqemu-b xfrm state | grep -v -E "^[[:space:]]+(enc|auth|aead)" | sed 's/^/  node b XFRM: /'
}

# Node a runs ipop-espd with userspace ESP, node b charon with Linux's ESP
# (kernel-netlink). $2 is ipop-espd's role: as initiator node a's ping
# starts IKE, as responder node b's ping hits charon's trap policy.
case_charon() {
  proposal="$1" role="$2"
  if [ ! -x /usr/lib/ipsec/charon ]; then
    echo "SKIP: charon is not in the initramfs (install strongswan-charon on the host)"
    exit 77
  fi
  setup_topology
  trap show_charon_logs EXIT
  start_daemon a "$proposal" userspace
  mkdir -p /var/run
  STRONGSWAN_CONF=/test/b/charon/strongswan.conf /usr/sbin/ip netns exec ipqemu-b /usr/lib/ipsec/charon \
    >/tmp/charon-stdout.log 2>&1 &
  for _ in $(seq 100); do
    [ -S /run/charon.vici ] && break
    sleep 0.2
  done
  [ -S /run/charon.vici ] || fail "charon opened no vici socket: $(tail -n 5 /tmp/charon-stdout.log)"

  in_ns b env STRONGSWAN_CONF=/test/b/charon/strongswan.conf SWANCTL_DIR=/test/b/charon/swanctl swanctl --load-all --uri unix:///run/charon.vici \
    --file "/test/b/charon/swanctl/swanctl-$proposal.conf" >/tmp/charon-load.log 2>&1 ||
    fail "swanctl --load-all failed: $(tail -n 5 /tmp/charon-load.log)"

  if [ "$role" = initiator ]; then
    ping_peer a "$address_b" 60
    ping_peer b "$address_a" 20
  else
    ping_peer b "$address_a" 60
    ping_peer a "$address_b" 20
  fi
  transfer b a "$address_b"
  transfer a b "$address_a"

  in_ns a ipop-esp --control /run/ipqemu-a.sock sa >/tmp/sa-a.txt
  sed 's/^/  node a: /' /tmp/sa-a.txt
  grep -q " transport .* userspace[[:space:]]*\$" /tmp/sa-a.txt || fail "node a has no userspace ESP SA"

  # charon's two SAs are in node b's kernel, and their counters show the traffic.
  ip -n ipqemu-b -s xfrm state >/tmp/xfrm-b.txt
  states="$(grep -c "^src" /tmp/xfrm-b.txt || true)"
  [ "$states" -eq 2 ] || fail "node b's kernel has $states XFRM states from charon, expected 2"
  grep -A1 "lifetime current" /tmp/xfrm-b.txt | sed 's/^/  node b XFRM: /'
  if [ "$role" = initiator ]; then
    grep -q "IKE_SA ipop\[[0-9]*\] established" /tmp/charon.log || fail "charon logged no established IKE_SA"
  fi
  grep -q "CHILD_SA ipop{[0-9]*} established" /tmp/charon.log || fail "charon logged no established CHILD_SA"
  check_capture
  trap - EXIT
}

# --- Cases: ipop-espd against libreswan's pluto -------------------------------------

show_pluto_logs() {
  show_daemon_logs
  if [ -f /tmp/pluto.log ]; then
    echo "--- last lines of pluto's log on node b"
    tail -n 30 /tmp/pluto.log
  fi
}

# Node a runs ipop-espd with userspace ESP, node b pluto with Linux's ESP.
# $1 is ipop-espd's role: as initiator node a's ping starts IKE, as
# responder `whack --initiate` on node b does.
case_pluto() {
  role="$1"
  if [ ! -x /usr/libexec/ipsec/pluto ]; then
    echo "SKIP: pluto is not in the initramfs (see run_guest.sh's output)"
    exit 77
  fi
  setup_topology
  trap show_pluto_logs EXIT
  start_daemon a pluto userspace
  mkdir -p /run/pluto
  /usr/sbin/ip netns exec ipqemu-b /usr/libexec/ipsec/pluto --nofork --config /test/b/pluto/ipsec.conf \
    --rundir /run/pluto --nssdir /test/b/pluto/nss --secretsfile /test/b/pluto/ipsec.secrets \
    --ipsecdir /test/b/pluto --dumpdir /tmp >/tmp/pluto-stdout.log 2>&1 &
  for _ in $(seq 100); do
    grep -q '"ipop": added IKEv1 connection' /tmp/pluto.log 2>/dev/null && break
    sleep 0.2
  done
  grep -q '"ipop": added IKEv1 connection' /tmp/pluto.log ||
    fail "pluto did not load its connection: $(tail -n 5 /tmp/pluto-stdout.log)"

  if [ "$role" = initiator ]; then
    ping_peer a "$address_b" 60
  else
    in_ns b /usr/libexec/ipsec/whack --ctlsocket /run/pluto/pluto.ctl --name ipop --initiate \
      >/tmp/pluto-whack.log 2>&1 || fail "whack --initiate failed: $(tail -n 5 /tmp/pluto-whack.log)"
    ping_peer b "$address_a" 60
  fi
  ping_peer a "$address_b" 20
  transfer b a "$address_b"
  transfer a b "$address_a"

  in_ns a ipop-esp --control /run/ipqemu-a.sock sa >/tmp/sa-a.txt
  sed 's/^/  node a: /' /tmp/sa-a.txt
  grep -q " transport .* userspace[[:space:]]*\$" /tmp/sa-a.txt || fail "node a has no userspace ESP SA"
  grep -q "AES-CBC-128 HMAC-SHA2-256-128" /tmp/sa-a.txt || fail "node a has no AES-CBC-128 HMAC-SHA2-256-128 SA"

  # pluto's two SAs are in node b's kernel, and their counters show the traffic.
  ip -n ipqemu-b -s xfrm state >/tmp/xfrm-b.txt
  states="$(grep -c "^src" /tmp/xfrm-b.txt || true)"
  [ "$states" -eq 2 ] || fail "node b's kernel has $states XFRM states from pluto, expected 2"
  grep -A1 "lifetime current" /tmp/xfrm-b.txt | sed 's/^/  node b XFRM: /'
  grep -q "IPsec SA established transport mode" /tmp/pluto.log || fail "pluto logged no established IPsec SA"
  check_capture
  trap - EXIT
}

# --- Runner ------------------------------------------------------------------------

run_case() {
  name="$1"
  shift
  echo "== case $name"
  started="$(uptime_seconds)"
  # A hung case would otherwise use up the host's limit for the whole guest.
  timeout "$case_timeout_seconds" sh -e -c ". /etc/ipqemu/cases.sh; $*"
  status=$?
  teardown_topology
  elapsed="$(echo "$(uptime_seconds) $started" | awk '{ printf "%.1f", $1 - $2 }')"
  case "$status" in
    0) echo "IPQEMU-CASE $name PASS ${elapsed} s" ;;
    77) echo "IPQEMU-CASE $name SKIP ${elapsed} s" ;;
    143) echo "IPQEMU-CASE $name FAIL ${elapsed} s (timed out after $case_timeout_seconds s)"; failed_cases="$failed_cases $name" ;;
    *) echo "IPQEMU-CASE $name FAIL ${elapsed} s"; failed_cases="$failed_cases $name" ;;
  esac
}

# Runs a case unless the kernel command line names others with
# ipqemu.cases=NAME,NAME (run_guest.sh --cases).
run_selected_case() {
  selection="$(tr ' ' '\n' </proc/cmdline | sed -n 's/^ipqemu.cases=//p')"
  if [ -n "$selection" ] && ! echo ",$selection," | grep -q ",$1,"; then
    return 0
  fi
  run_case "$@"
}

run_all_cases() {
  failed_cases=""
  for proposal in $proposals; do
    run_selected_case "kernel_manual_sa_$proposal" case_kernel_manual_sa "$proposal"
  done
  run_selected_case daemons_userspace_userspace case_daemons 3des-sha1 userspace userspace
  for proposal in $proposals; do
    run_selected_case "daemons_kernel_userspace_$proposal" case_daemons "$proposal" kernel userspace
  done
  run_selected_case daemons_kernel_userspace_aes-sha256-96 \
    case_daemons aes-sha256-96 kernel userspace check_sha256_96_sas
  run_selected_case daemons_kernel_userspace_aes-sha512 \
    case_daemons aes-sha512 kernel userspace check_sha512_sas
  run_selected_case daemons_kernel_userspace_natt \
    case_daemons aes-sha256-natt kernel userspace check_udp_encapsulated_sas
  run_selected_case charon_initiator_3des-sha1 case_charon 3des-sha1 initiator
  run_selected_case charon_responder_aes-gcm case_charon aes-gcm responder
  run_selected_case pluto_initiator case_pluto initiator
  run_selected_case pluto_responder case_pluto responder
  run_selected_case kill_during_transfer_userspace case_kill_during_transfer userspace
  run_selected_case kill_during_transfer_kernel case_kill_during_transfer kernel
  if [ -z "$failed_cases" ]; then
    echo "IPQEMU-RESULT: PASS"
  else
    echo "IPQEMU-RESULT: FAIL (failed:$failed_cases)"
  fi
}
