// SA lifetimes: the lifetime a responder accepts under racoon's
// `proposal_check` levels, the SA Life attributes of ESP transforms and of
// the RESPONDER-LIFETIME notify (RFC 2407 §4.5 and §4.6.3.1), and the point
// at which an SA is renegotiated before it expires.
#ifndef IPOP_IKE_LIFETIME_H_
#define IPOP_IKE_LIFETIME_H_

#include <chrono>
#include <cstdint>
#include <vector>

#include "base/error.h"
#include "base/timer.h"
#include "config/runtime_config.h"
#include "ike/payload_sa.h"

namespace ipop::ike {

// A time limit and a byte limit; 0 means no limit of that kind.
struct Lifetime {
  std::chrono::seconds seconds{0};
  uint64_t kilobytes = 0;

  bool operator==(const Lifetime&) const = default;
};

// The responder's decision on the initiator's lifetime.
struct LifetimeChoice {
  Lifetime lifetime;  // what the responder's SAs use
  // True when `lifetime` is shorter than the offer, so the responder must
  // send RESPONDER-LIFETIME to the initiator (phase 2 only).
  bool notify_initiator = false;
};

// Applies racoon's `proposal_check` level to the initiator's `offered`
// lifetime and our `configured` one, each limit on its own:
//   obey:   the offer is taken as it is.
//   strict: the offer is taken when it is not longer than ours, else rejected.
//   claim:  as strict, but a longer offer is cut to ours. In phase 2 the
//           responder then sends RESPONDER-LIFETIME to the initiator.
//   exact:  the offer must equal ours.
// A missing limit counts as infinitely long. Fails with NO-PROPOSAL-CHOSEN.
// NOTE: these rules follow the level descriptions of racoon.conf(5); they
// are not checked against racoon's code or a live racoon responder.
Result<LifetimeChoice> ChooseResponderLifetime(config::ProposalCheck check, const Lifetime& offered,
                                               const Lifetime& configured, bool phase2);

// Returns the SA Life Type and SA Life Duration attributes of `lifetime`
// (RFC 2407 §4.5): seconds first, then kilobytes when set. Durations above
// 65535 take the variable form (RFC 2409 Appendix A).
std::vector<DataAttribute> EncodeIpsecLifetime(const Lifetime& lifetime);

// Reads SA Life Type and Duration pairs from `attributes`, skipping all
// others. Fails with PAYLOAD-MALFORMED for a duration without a type, an
// unknown life type or a zero duration.
Result<Lifetime> DecodeIpsecLifetime(const std::vector<DataAttribute>& attributes);

// Returns how long after installation an SA of `lifetime` is renegotiated:
// at 80% of it on the side that initiated the SA and at 90% on the
// responder. So the initiator normally rekeys, and the responder steps in
// only when that fails. Up to 5% of the lifetime is taken off at random
// (from `random`), so that SAs made at the same moment do not all rekey
// together. Returns zero for a zero lifetime.
Duration RekeyDelay(std::chrono::seconds lifetime, bool initiator, uint32_t random);

// Returns the byte count at which an SA with a byte limit of `kilobytes` is
// renegotiated, with the same 80% and 90% rule; 0 when there is no limit.
uint64_t RekeyBytes(uint64_t kilobytes, bool initiator);

}  // namespace ipop::ike

#endif  // IPOP_IKE_LIFETIME_H_
