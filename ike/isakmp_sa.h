// The state of one ISAKMP SA and of the Quick Mode exchanges that run under
// it. Plain data: the engine (engine.h) drives every change.
#ifndef IPOP_IKE_ISAKMP_SA_H_
#define IPOP_IKE_ISAKMP_SA_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/ip_address.h"
#include "base/timer.h"
#include "config/runtime_config.h"
#include "crypto/dh.h"
#include "crypto/x509.h"
#include "esp/kernel_seam.h"
#include "ike/constants.h"
#include "ike/credentials.h"
#include "ike/key_derivation.h"
#include "ike/nat_detection.h"
#include "ike/proposal.h"
#include "ike/sa_attributes.h"
#include "ike/traffic_selectors.h"

namespace ipop::ike {

// Phase 1 states, named after the last message sent (RFC 2409 §5.1
// numbers the six Main Mode messages and the three Aggressive Mode ones).
enum class Phase1State {
  kInitiatorSentSa,    // message 1 sent, waiting for 2
  kInitiatorSentKe,    // message 3 sent, waiting for 4
  kInitiatorSentAuth,  // message 5 sent, waiting for 6
  kResponderSentSa,    // message 2 sent, waiting for 3
  kResponderSentKe,    // message 4 sent, waiting for 5
  kEstablished,        // message 6 sent or received
  kDead,               // failed, expired or deleted; removed soon
  kAggressiveInitiatorSent1,  // Aggressive Mode message 1 sent, waiting for 2
  kAggressiveResponderSent2,  // Aggressive Mode message 2 sent, waiting for 3
};

const char* Phase1StateName(Phase1State state);

enum class QuickModeState {
  kInitiatorSentHash1,   // message 1 sent, waiting for HASH(2)
  kResponderSentHash2,   // message 2 sent, waiting for HASH(3)
  kEstablished,          // both ESP SAs installed
  kDead,
};

const char* QuickModeStateName(QuickModeState state);

// A message we sent and may have to send again: after a timeout while we
// wait for the reply, or when the peer repeats the message it replies to.
struct SentMessage {
  Bytes bytes;
  // The datagrams that carry `bytes` when it went out in IKE fragments;
  // empty when `bytes` went out whole. A retransmission repeats them all.
  std::vector<Bytes> fragments;
  Endpoint local;
  Endpoint remote;
  int retransmissions_left = 0;
  Duration next_interval{};
  TimerId retransmit_timer = 0;
};

// The two ESP SAs of one Quick Mode exchange, as installed in the kernel.
struct InstalledEspPair {
  uint64_t isakmp_sa_id = 0;  // the ISAKMP SA whose Quick Mode made it
  uint32_t inbound_spi = 0;
  uint32_t outbound_spi = 0;
  Ipv4Address local;
  Ipv4Address remote;
  // The peer's IKE port. With a NAT in front of the peer, several peers
  // share `remote` and only this port distinguishes them.
  uint16_t remote_port = 0;
  bool peer_behind_nat = false;
  // The peer's UDP port the outbound SA was added with
  // (UdpEncapsulation::destination_port), 0 without UDP encapsulation.
  // Unlike remote_port it never follows a NAT mapping change, because the
  // backend finds the SA by the port it was added with.
  uint16_t encapsulation_port = 0;

  // Lifetime and rekeying (rekey.cc).
  bool initiator = false;           // we sent Quick Mode message 1
  uint32_t outbound_policy_id = 0;  // the policy a rekey negotiates for
  std::chrono::seconds lifetime{0};
  TimePoint installed_at{};
  TimerId rekey_timer = 0;   // soft point: start a new Quick Mode
  TimerId expiry_timer = 0;  // hard lifetime: remove the pair
  TimerId retire_timer = 0;  // superseded: wait for the successor, then delete
  bool rekey_started = false;
  bool superseded = false;  // a newer pair replaces it and it is deleted soon
};

struct QuickModeExchange {
  uint32_t message_id = 0;
  bool initiator = false;
  QuickModeState state = QuickModeState::kInitiatorSentHash1;
  Bytes iv;  // CBC IV for the next message of this exchange
  Bytes nonce_i;
  Bytes nonce_r;
  std::optional<crypto::DhKeyPair> dh;  // with PFS only
  crypto::SecretBytes pfs_shared;
  uint32_t inbound_spi = 0;   // ours, allocated through the kernel seam
  // The responder installs the inbound SA when it sends HASH(2), because the
  // initiator may send ESP right after HASH(3) and that ESP can overtake it.
  bool inbound_installed = false;
  uint32_t outbound_spi = 0;  // the peer's
  std::vector<EspTransform> offer;  // initiator only
  EspTransform chosen;
  Ipv4Address local_address;   // traffic selector addresses (host to host)
  Ipv4Address remote_address;
  // The subnets of a tunnel-mode exchange; empty in transport mode, where
  // the two addresses above are the selectors.
  std::optional<TunnelSelectors> tunnel;
  // From the peer's NAT-OA payloads (RFC 3947 §5.2), when UDP-encapsulated
  // transport mode was chosen: the peer's own address, and our address as
  // the peer sent to it. Inner checksums were computed over these two.
  std::optional<Ipv4Address> peer_original_address;
  std::optional<Ipv4Address> local_address_seen_by_peer;
  uint32_t outbound_policy_id = 0;
  uint32_t inbound_policy_id = 0;
  // Generated policies this exchange uses; they move to the installed pair.
  std::vector<uint32_t> generated_policy_ids;
  Bytes last_received;  // for duplicate detection
  std::optional<SentMessage> last_sent;
  TimerId timeout_timer = 0;
  TimePoint started{};
  // When the new pair is renegotiated after installation; set on first
  // installation so that both SAs and the engine's timer agree.
  Duration rekey_delay{};
};

// Dead Peer Detection (RFC 3706) of one established ISAKMP SA. Probing runs
// when the remote section sets dpd_delay and both sides sent the DPD vendor
// ID (RFC 3706 §5.1).
struct DpdState {
  bool enabled = false;
  TimerId timer = 0;  // the idle check, or the retry while a probe is open
  // The last authenticated IKE message from the peer, or when the check
  // last saw the inbound ESP packet count grow.
  TimePoint last_proof{};
  // ESP packets received on the peer's inbound SAs at the last check.
  uint64_t inbound_packets = 0;
  uint32_t sequence = 0;  // of the last R-U-THERE sent (RFC 3706 §7)
  bool awaiting_ack = false;
  TimePoint request_sent{};        // of the last R-U-THERE
  TimePoint first_request_sent{};  // of the first unanswered R-U-THERE
  int unanswered = 0;  // R-U-THERE messages sent since the last proof
};

struct IsakmpSa {
  uint64_t id = 0;  // engine handle, stable while the SA exists
  Cookie cookie_i{};
  Cookie cookie_r{};
  bool initiator = false;
  Phase1State state = Phase1State::kInitiatorSentSa;
  Endpoint local;
  Endpoint remote;
  const config::RemoteConfig* remote_config = nullptr;

  // Negotiation.
  std::vector<Phase1Transform> offer;  // initiator only
  Phase1Transform transform;
  Bytes sa_i_body;  // SAi_b, the initiator's SA payload body
  std::optional<crypto::DhKeyPair> dh;
  Bytes public_i;  // g^xi
  Bytes public_r;  // g^xr
  Bytes nonce_i;
  Bytes nonce_r;
  crypto::SecretBytes shared;  // g^xy
  Phase1Keys keys;
  bool keys_ready = false;
  Bytes iv;             // CBC IV for the next Main Mode message
  Bytes phase1_last_iv; // last CBC block of phase 1, seeds phase 2 IVs

  // Vendor IDs and NAT traversal (RFC 3947).
  NatTraversalVersion peer_natt = NatTraversalVersion::kNone;
  bool peer_dpd = false;
  bool natt_in_use = false;  // both sides sent a NAT-T vendor ID
  // The NAT-T version in use and the vendor ID that announces it, which a
  // responder repeats in message 2. Set only while natt_in_use.
  NatTraversalVersion natt_version = NatTraversalVersion::kNone;
  KnownVendorId natt_vendor_id = KnownVendorId::kUnknown;
  NatDetectionResult nat;
  bool peer_requested_certificate = false;
  // The peer sent the IKE fragmentation vendor ID.
  bool peer_fragmentation = false;

  // Aggressive Mode (RFC 2409 §5.4) instead of Main Mode.
  bool aggressive = false;
  // The peer's ID payload body from Aggressive Mode message 1 or 2. The
  // responder checks HASH_I or SIG_I of message 3 against it, because
  // message 3 does not repeat the ID.
  Bytes peer_id_body;

  // Authentication.
  std::optional<crypto::Certificate> peer_certificate;
  std::string peer_identity;

  // Reason the last message from the peer was dropped, for the time-limit log.
  std::string last_error;

  // Retransmission and duplicate detection.
  Bytes last_received;
  std::optional<SentMessage> last_sent;
  TimerId timeout_timer = 0;
  TimerId lifetime_timer = 0;
  TimerId rekey_timer = 0;  // phase 1 rekey (`rekey on|force`)
  // We started negotiating this SA's successor, so an SA with the peer that
  // comes up next is its rekey, not a duplicate.
  bool rekey_started = false;
  // The losing duplicate of a simultaneous Main Mode. It is deleted once no
  // Quick Mode under it waits for a reply.
  bool retiring = false;
  TimerId retire_timer = 0;
  TimePoint created{};
  TimePoint established_at{};

  // Phase 2.
  std::vector<esp::AcquireRequest> queued_acquires;
  std::map<uint32_t, QuickModeExchange> quick_modes;
  // Every message ID used under this SA, in either direction, so that a
  // replayed Quick Mode, Delete or notify is ignored and new IDs are unique.
  std::set<uint32_t> used_message_ids;

  DpdState dpd;
};

// Returns true when `a` and `b` were negotiated with the same peer. Peers
// behind one NAT share its public address, so when a NAT is in front of
// the peer the IKE ports must match too.
bool SamePeer(const IsakmpSa& a, const IsakmpSa& b);

// Returns true when `pair` was negotiated under `sa` or with the same peer
// (same address, and the same port when a NAT is in front of the peer).
bool PairBelongsToPeer(const InstalledEspPair& pair, const IsakmpSa& sa);

// CKY-I | CKY-R, the SPI of an ISAKMP SA in Delete and notify payloads
// (RFC 2408 §3.15).
Bytes CookiePair(const Cookie& cookie_i, const Cookie& cookie_r);

// "006d2aece15feaaa:a0faf56f5877efde", racoon's cookie pair form.
std::string CookiePairText(const Cookie& cookie_i, const Cookie& cookie_r);
uint64_t CookieValue(const Cookie& cookie);

}  // namespace ipop::ike

#endif  // IPOP_IKE_ISAKMP_SA_H_
