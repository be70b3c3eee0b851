# Functions that check an IKEv1 capture with tshark and ipop-espd's key log
# (--keylog or `path keylog`). Sourced by the interop tests, which define
# fail() and note() before they call these.

# Sets the array tshark_args: read CAPTURE ($1) with a throwaway Wireshark
# profile under WORK ($3) and the tables of KEYS ($2), one `-o uat:` option
# per key log line, so that no personal preference changes the result.
tshark_args_for() {
  local capture="$1" keys="$2" work="$3" line
  export XDG_CONFIG_HOME="$work/wireshark-config"
  export HOME="$work/home"
  mkdir -p "$XDG_CONFIG_HOME/wireshark" "$HOME"
  tshark_args=(-n -r "$capture"
    -o esp.enable_encryption_decode:TRUE
    -o esp.enable_authentication_check:TRUE
    -o esp.enable_null_encryption_decode_heuristic:FALSE)
  while IFS= read -r line; do
    if [[ "$line" == '"IPv4"'* ]]; then
      tshark_args+=(-o "uat:esp_sa:$line")
    else
      tshark_args+=(-o "uat:ikev1_decryption_table:$line")
    fi
  done <"$keys"
}

# Checks the ISAKMP messages that SENDER ($4) sent in CAPTURE ($1) and fails
# unless each dissects without a malformed-packet mark or an expert error.
# Each encrypted one must also decrypt with the keys of KEYS ($2), which
# shows as inner payload types: an ID payload in Main Mode, a HASH payload
# in Quick Mode. At least MIN_MAIN ($5) encrypted Main Mode and MIN_QUICK
# ($6) Quick Mode messages from SENDER must be in the capture. WORK ($3)
# contains tshark's profile.
check_isakmp_from() {
  local capture="$1" keys="$2" work="$3" sender="$4" min_main="$5" min_quick="$6"
  local bad_frames encrypted frame exchange payload_types main_mode=0 quick_mode=0
  local retransmitted not_retransmitted=""
  tshark_args_for "$capture" "$keys" "$work"

  # A retransmission repeats the bytes of an earlier message. tshark then
  # decrypts it with the IV that the first copy advanced, so it cannot
  # dissect it. The first copy is checked instead.
  retransmitted="$(tshark "${tshark_args[@]}" -Y "isakmp && ip.src == $sender" -T fields \
    -e frame.number -e udp.payload 2>/dev/null | awk -F'\t' 'seen[$2]++ { print $1 }' | paste -sd, -)"
  if [ -n "$retransmitted" ]; then
    note "retransmitted ISAKMP frames from $sender, not dissected: $retransmitted"
    not_retransmitted=" && !(frame.number in {${retransmitted//,/ }})"
  fi

  bad_frames="$(tshark "${tshark_args[@]}" \
    -Y "isakmp && ip.src == $sender$not_retransmitted && (_ws.malformed || _ws.expert.severity == error)" \
    2>/dev/null)"
  [ -z "$bad_frames" ] || fail "tshark reports malformed ISAKMP frames or expert errors from $sender:
$bad_frames"

  encrypted="$(tshark "${tshark_args[@]}" -Y "isakmp.flag_e == 1 && ip.src == $sender$not_retransmitted" -T fields \
    -e frame.number -e isakmp.exchangetype -e isakmp.typepayload 2>/dev/null)"
  [ -n "$encrypted" ] || fail "the capture has no encrypted ISAKMP message from $sender"
  note "encrypted ISAKMP messages from $sender (frame, exchange type, payload types after decryption):"
  echo "$encrypted" | sed 's/^/  /'
  while IFS=$'\t' read -r frame exchange payload_types; do
    [ -n "$payload_types" ] || fail "frame $frame (exchange $exchange) did not decrypt: no payloads dissected"
    case "$exchange" in
      2)
        main_mode=$((main_mode + 1))
        [[ ",$payload_types," == *",5,"* ]] || fail "Main Mode frame $frame decrypted without an ID payload"
        ;;
      32)
        quick_mode=$((quick_mode + 1))
        [[ ",$payload_types," == *",8,"* ]] || fail "Quick Mode frame $frame decrypted without a HASH payload"
        ;;
    esac
  done <<<"$encrypted"
  [ "$main_mode" -ge "$min_main" ] ||
    fail "only $main_mode encrypted Main Mode messages from $sender decrypted, expected $min_main"
  [ "$quick_mode" -ge "$min_quick" ] ||
    fail "only $quick_mode Quick Mode messages from $sender decrypted, expected $min_quick"
}

# Fails unless SENDER ($4) sent ESP in CAPTURE ($1), tshark reports the ICV
# of some of it good with the keys of KEYS ($2), and of none of it bad.
# NOTE: in a few runs tshark left 16 of about 2300 packets unchecked (neither
# good nor bad) while the peer accepted every packet; the cause is unknown,
# so unchecked packets are reported but do not fail the test.
check_esp_from() {
  local capture="$1" keys="$2" work="$3" sender="$4" total good bad
  tshark_args_for "$capture" "$keys" "$work"
  total="$(tshark "${tshark_args[@]}" -Y "esp && ip.src == $sender" 2>/dev/null | wc -l)"
  good="$(tshark "${tshark_args[@]}" -Y "esp.icv_good == 1 && ip.src == $sender" 2>/dev/null | wc -l)"
  bad="$(tshark "${tshark_args[@]}" -Y "esp.icv_bad == 1 && ip.src == $sender" 2>/dev/null | wc -l)"
  note "ESP packets from $sender: $total, ICV good: $good, ICV bad: $bad, unchecked: $((total - good - bad))"
  [ "$total" -gt 0 ] || fail "the capture has no ESP packet from $sender"
  [ "$good" -gt 0 ] || fail "tshark reports no ESP packet from $sender with a good ICV"
  [ "$bad" -eq 0 ] || fail "tshark reports $bad ESP packets from $sender with a bad ICV"
}
