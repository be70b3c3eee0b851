// Pieces that Main Mode (main_mode.cc) and Aggressive Mode
// (aggressive_mode.cc) share: limits, the responder's transform choice and
// the initiator's check of the responder's choice.
#ifndef IPOP_IKE_PHASE1_COMMON_H_
#define IPOP_IKE_PHASE1_COMMON_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "config/runtime_config.h"
#include "ike/payload_notification.h"
#include "ike/payload_sa.h"
#include "ike/proposal.h"
#include "ike/sa_attributes.h"

namespace ipop::ike {

// Nonce length we send; RFC 2409 §5 allows 8 to 256 bytes.
inline constexpr size_t kNonceSize = 32;
// UDP port that NAT-T moves IKE to (RFC 3947 §4).
inline constexpr uint16_t kNatTraversalPort = 4500;
// Responder SAs still in phase 1, at most. Each costs memory and timers,
// and anyone can create one with a forged source address, so a flood of
// message 1 must not grow the table without bound. The value is a guess
// that leaves room for many real peers starting at once.
inline constexpr size_t kMaxHalfOpenResponderSas = 512;

// Maps a handler's error to the drop counter it increments.
std::string DropReasonFor(const Error& error);

// Selects the first transform of the initiator's offer that our proposals
// allow, keeping its wire form for the reply.
Result<OfferedPhase1Transform> ChoosePhase1(const SaPayload& payload, const config::RemoteConfig& remote);

// Returns the transform of `offer` that the responder's SA payload chose.
// Fails when the reply is not exactly one transform or names one we did
// not offer.
Result<Phase1Transform> AcceptPhase1Reply(const SaPayload& reply, const std::vector<Phase1Transform>& offer);

// Returns INITIAL-CONTACT for the ISAKMP SA of the two cookies, which makes
// the peer delete the SAs left from our previous run (RFC 2407 §4.6.3.3).
NotificationPayload InitialContactNotification(const Cookie& cookie_i, const Cookie& cookie_r);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PHASE1_COMMON_H_
