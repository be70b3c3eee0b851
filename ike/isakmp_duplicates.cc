// Duplicate ISAKMP SAs. When both peers start Main Mode at once, both
// negotiations may complete and leave two ISAKMP SAs with one peer. Both
// peers keep the same one of the two and delete the other with an ISAKMP
// Delete. ESP SAs negotiated under the deleted one stay, as they do when any
// ISAKMP SA goes.
#include <algorithm>

#include "base/log.h"
#include "ike/engine.h"

namespace ipop::ike {

namespace {

// Two ISAKMP SAs with one peer that came up closer together than this are
// duplicates, unless we started the older one's rekey. Capped at a quarter
// of the lifetime, because a phase 1 rekey starts at 75% of it or later, so
// a successor negotiated by the peer is never taken for a duplicate either.
constexpr Duration kDuplicateWindow = std::chrono::seconds(5);

// The losing duplicate is deleted once no Quick Mode under it is waiting
// for a reply, checked at this interval. The first check comes after one
// interval, so that Quick Modes the peer queued for the SA get to start.
constexpr Duration kRetireCheckInterval = std::chrono::seconds(1);
// A losing duplicate whose Quick Modes have not ended by then is deleted
// anyway, which fails them.
constexpr Duration kRetireQuickModeLimit = std::chrono::seconds(30);

bool QuickModeWaiting(const IsakmpSa& sa) {
  return std::ranges::any_of(sa.quick_modes, [](const auto& entry) {
    const QuickModeState state = entry.second.state;
    return state == QuickModeState::kInitiatorSentHash1 || state == QuickModeState::kResponderSentHash2;
  });
}

Duration DuplicateWindow(const IsakmpSa& sa) {
  if (sa.transform.lifetime.count() == 0) {
    return kDuplicateWindow;
  }
  return std::min<Duration>(kDuplicateWindow, sa.transform.lifetime / 4);
}

}  // namespace

void IkeService::Engine::RetireDuplicateIsakmpSa(IsakmpSa& sa) {
  for (auto& [id, other] : sas_) {
    if (other.get() == &sa || other->state != Phase1State::kEstablished || other->retiring ||
        other->rekey_started || !SamePeer(*other, sa)) {
      continue;
    }
    if (sa.established_at - other->established_at >= DuplicateWindow(sa)) {
      continue;
    }
    // Both peers see the same cookies, whatever the order in which the two
    // SAs came up and whatever addresses a NAT shows them, so the SA with
    // the lower CKY-I | CKY-R survives on both.
    const bool sa_survives = CookiePair(sa.cookie_i, sa.cookie_r) < CookiePair(other->cookie_i, other->cookie_r);
    IsakmpSa& loser = sa_survives ? *other : sa;
    const IsakmpSa& survivor = sa_survives ? sa : *other;
    loser.retiring = true;
    timers_.Cancel(loser.rekey_timer);
    loser.rekey_timer = 0;
    IPOP_LOG(kInfo) << "ISAKMP-SA " << CookiePairText(loser.cookie_i, loser.cookie_r) << " with "
                    << loser.remote.ToString() << " duplicates "
                    << CookiePairText(survivor.cookie_i, survivor.cookie_r) << " and will be deleted";
    const uint64_t loser_id = loser.id;
    const TimePoint deadline = timers_.Now() + kRetireQuickModeLimit;
    loser.retire_timer = timers_.Schedule(
        kRetireCheckInterval, [this, loser_id, deadline] { CheckIsakmpRetirement(loser_id, deadline); });
    return;
  }
}

void IkeService::Engine::CheckIsakmpRetirement(uint64_t sa_id, TimePoint deadline) {
  IsakmpSa* sa = FindSaById(sa_id);
  if (sa == nullptr) {
    return;
  }
  sa->retire_timer = 0;
  if (QuickModeWaiting(*sa) && timers_.Now() < deadline) {
    sa->retire_timer = timers_.Schedule(
        kRetireCheckInterval, [this, sa_id, deadline] { CheckIsakmpRetirement(sa_id, deadline); });
    return;
  }
  IPOP_LOG(kInfo) << "deleting the duplicate ISAKMP-SA " << CookiePairText(sa->cookie_i, sa->cookie_r)
                  << (QuickModeWaiting(*sa) ? "; its unfinished Quick Modes fail" : "");
  // The ESP SAs negotiated under it stay, so the Delete names only the
  // ISAKMP SA.
  SendDeletes(*sa, {});
  ScheduleRemoval(*sa);
}

}  // namespace ipop::ike
