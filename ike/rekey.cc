// Lifetimes of installed ESP SA pairs and of ISAKMP SAs. A pair gets a new
// Quick Mode before its hard lifetime and is removed at it. The pair that a
// new one replaces is retired, and of the duplicate pairs that two
// simultaneous negotiations leave behind one is kept.
//
// The userspace backend reports no expiry, so the engine keeps a rekey and
// an expiry timer for every pair. With the XFRM backend the kernel's soft
// EXPIRE comes at the same moment, because MakeEspSaConfig gives the kernel
// the same delay, and finds the rekey already started.
#include <algorithm>

#include "base/log.h"
#include "crypto/random.h"
#include "ike/engine.h"
#include "ike/lifetime.h"
#include "ike/payload_sa.h"

namespace ipop::ike {

namespace {

// A replaced pair is deleted once its successor's inbound SA carried a
// packet, because that shows that the peer sends on the successor. It stays
// at least kRetireMinimum, so that packets in flight on it still arrive.
// Without traffic it goes after kRetireGrace, or at its own hard lifetime if
// that comes first.
constexpr Duration kRetireMinimum = std::chrono::seconds(1);
constexpr Duration kRetireGrace = std::chrono::seconds(10);
constexpr Duration kRetireCheckInterval = std::chrono::seconds(1);

// Two pairs with one peer that came up closer together than this, while
// neither was being rekeyed, are duplicates from simultaneous negotiations.
// Capped at a quarter of the lifetime so that a rekey (at 80% or more of
// it) is never taken for a duplicate.
constexpr Duration kDuplicateWindow = std::chrono::seconds(5);

bool SamePairPeer(const InstalledEspPair& a, const InstalledEspPair& b) {
  if (a.local != b.local || a.remote != b.remote) {
    return false;
  }
  return !(a.peer_behind_nat || b.peer_behind_nat) || a.remote_port == b.remote_port;
}

// The address of the side that sent Quick Mode message 1 for `pair`.
Ipv4Address QuickModeInitiator(const InstalledEspPair& pair) {
  return pair.initiator ? pair.local : pair.remote;
}

}  // namespace

// ---- ESP pairs ----

void IkeService::Engine::PrepareEspLifetime(QuickModeExchange& exchange) {
  if (exchange.rekey_delay == Duration::zero()) {
    exchange.rekey_delay = RekeyDelay(exchange.chosen.lifetime, exchange.initiator, crypto::RandomU32());
  }
}

InstalledEspPair* IkeService::Engine::FindEspPair(uint32_t inbound_spi, Ipv4Address local) {
  auto found = std::ranges::find_if(esp_pairs_, [&](const InstalledEspPair& pair) {
    return pair.inbound_spi == inbound_spi && pair.local == local;
  });
  return found == esp_pairs_.end() ? nullptr : &*found;
}

void IkeService::Engine::CancelEspPairTimers(const InstalledEspPair& pair) {
  timers_.Cancel(pair.rekey_timer);
  timers_.Cancel(pair.expiry_timer);
  timers_.Cancel(pair.retire_timer);
}

void IkeService::Engine::TrackNewEspPair(InstalledEspPair& pair, const QuickModeExchange& exchange) {
  pair.initiator = exchange.initiator;
  pair.outbound_policy_id = exchange.outbound_policy_id;
  pair.lifetime = exchange.chosen.lifetime;
  pair.installed_at = timers_.Now();
  const uint32_t spi = pair.inbound_spi;
  const Ipv4Address local = pair.local;
  if (pair.lifetime.count() > 0) {
    pair.rekey_timer = timers_.Schedule(exchange.rekey_delay, [this, spi, local] { OnEspRekeyDue(spi, local); });
    pair.expiry_timer = timers_.Schedule(pair.lifetime, [this, spi, local] { OnEspHardExpiry(spi, local); });
  }

  const Duration duplicate_window = std::min<Duration>(kDuplicateWindow, pair.lifetime / 4);
  for (InstalledEspPair& other : esp_pairs_) {
    if (&other == &pair || other.superseded || !SamePairPeer(other, pair)) {
      continue;
    }
    const bool duplicate = !other.rekey_started && pair.installed_at - other.installed_at < duplicate_window &&
                           other.initiator != pair.initiator;
    // Both peers must keep the same one of two duplicates whatever order
    // they installed them in, so the pair that the peer with the lower
    // address initiated survives.
    if (duplicate && QuickModeInitiator(other) < QuickModeInitiator(pair)) {
      Supersede(pair, other);
      return;
    }
    Supersede(other, pair);
  }
}

void IkeService::Engine::Supersede(InstalledEspPair& pair, const InstalledEspPair& successor) {
  pair.superseded = true;
  timers_.Cancel(pair.rekey_timer);
  pair.rekey_timer = 0;
  IPOP_LOG(kInfo) << "IPsec-SA spi=" << pair.inbound_spi << " with " << pair.remote.ToString()
                  << " is replaced by spi=" << successor.inbound_spi << " and will be deleted";
  const TimePoint deadline =
      std::min(timers_.Now() + kRetireGrace, pair.installed_at + Duration(pair.lifetime));
  const uint32_t spi = pair.inbound_spi;
  const Ipv4Address local = pair.local;
  const uint32_t successor_spi = successor.inbound_spi;
  timers_.Cancel(pair.retire_timer);
  pair.retire_timer = timers_.Schedule(
      kRetireMinimum, [this, spi, local, successor_spi, deadline] { CheckRetirement(spi, local, successor_spi, deadline); });
}

void IkeService::Engine::CheckRetirement(uint32_t inbound_spi, Ipv4Address local, uint32_t successor_spi,
                                         TimePoint deadline) {
  InstalledEspPair* pair = FindEspPair(inbound_spi, local);
  if (pair == nullptr) {
    return;
  }
  pair->retire_timer = 0;
  const std::vector<esp::EspSaStatus> sas = kernel_.ListSas();
  const bool successor_used = std::ranges::any_of(sas, [&](const esp::EspSaStatus& status) {
    return status.inbound && status.spi == successor_spi && status.destination == local && status.packets > 0;
  });
  const bool successor_gone = FindEspPair(successor_spi, local) == nullptr;
  if (successor_used || successor_gone || timers_.Now() >= deadline) {
    IPOP_LOG(kInfo) << "deleting the replaced IPsec-SA spi=" << inbound_spi << " with " << pair->remote.ToString()
                    << (successor_used ? ": its successor carries traffic" : "");
    DeleteEspPairAndNotify(*pair);
    return;
  }
  pair->retire_timer = timers_.Schedule(kRetireCheckInterval, [this, inbound_spi, local, successor_spi, deadline] {
    CheckRetirement(inbound_spi, local, successor_spi, deadline);
  });
}

void IkeService::Engine::OnEspRekeyDue(uint32_t inbound_spi, Ipv4Address local) {
  InstalledEspPair* pair = FindEspPair(inbound_spi, local);
  if (pair == nullptr) {
    return;
  }
  pair->rekey_timer = 0;
  if (pair->superseded || pair->rekey_started) {
    return;
  }
  pair->rekey_started = true;
  IPOP_LOG(kInfo) << "IPsec-SA spi=" << inbound_spi << " with " << pair->remote.ToString()
                  << " reached its soft lifetime; negotiating its successor";
  esp::AcquireRequest request;
  request.policy_id = pair->outbound_policy_id;
  request.source = pair->local;
  request.destination = pair->remote;
  // Acquire runs Quick Mode over the newest ISAKMP SA with the peer, or
  // negotiates a new one first when there is none.
  Acquire(request);
}

void IkeService::Engine::OnEspHardExpiry(uint32_t inbound_spi, Ipv4Address local) {
  InstalledEspPair* pair = FindEspPair(inbound_spi, local);
  if (pair == nullptr) {
    return;
  }
  pair->expiry_timer = 0;
  IPOP_LOG(kInfo) << "IPsec-SA expired: ESP/Transport " << pair->local.ToString() << "->"
                  << pair->remote.ToString() << " spi=" << pair->outbound_spi;
  IPOP_LOG(kInfo) << "IPsec-SA expired: ESP/Transport " << pair->remote.ToString() << "->"
                  << pair->local.ToString() << " spi=" << pair->inbound_spi;
  DeleteEspPairAndNotify(*pair);
}

void IkeService::Engine::HandleSaExpire(const esp::SaExpire& expire) {
  auto found = std::ranges::find_if(esp_pairs_, [&](const InstalledEspPair& pair) {
    return (pair.inbound_spi == expire.spi && pair.local == expire.destination) ||
           (pair.outbound_spi == expire.spi && pair.remote == expire.destination);
  });
  if (found == esp_pairs_.end()) {
    IPOP_LOG(kDebug) << (expire.hard ? "hard" : "soft") << " expiry of unknown SA spi=" << expire.spi << " dst "
                     << expire.destination.ToString();
    return;
  }
  if (expire.hard) {
    OnEspHardExpiry(found->inbound_spi, found->local);
  } else {
    OnEspRekeyDue(found->inbound_spi, found->local);
  }
}

IsakmpSa* IkeService::Engine::FindEstablishedSaForPair(const InstalledEspPair& pair) {
  IsakmpSa* newest = nullptr;
  for (auto& [id, sa] : sas_) {
    if (sa->state == Phase1State::kEstablished && PairBelongsToPeer(pair, *sa)) {
      newest = sa.get();  // ids grow, so the last match is the newest
    }
  }
  return newest;
}

void IkeService::Engine::DeleteEspPairAndNotify(const InstalledEspPair& pair) {
  if (IsakmpSa* sa = FindEstablishedSaForPair(pair)) {
    SendEspDelete(*sa, pair);
    return;
  }
  IPOP_LOG(kInfo) << "no ISAKMP-SA with " << pair.remote.ToString() << " to announce the deletion of spi="
                  << pair.inbound_spi;
  DeleteEspPair(pair);
}

// ---- RESPONDER-LIFETIME (RFC 2407 §4.6.3.1) ----

NotificationPayload IkeService::Engine::MakeResponderLifetime(const QuickModeExchange& exchange) const {
  NotificationPayload notification;
  notification.protocol_id = kProtocolEsp;
  notification.notify_type = kNotifyResponderLifetime;
  // The SPI names the initiator's inbound SA, the one its proposal offered.
  const uint32_t spi = exchange.outbound_spi;
  notification.spi = Bytes{std::byte(spi >> 24), std::byte(spi >> 16), std::byte(spi >> 8), std::byte(spi)};
  notification.data =
      EncodeDataAttributes(EncodeIpsecLifetime(Lifetime{exchange.chosen.lifetime, exchange.chosen.lifetime_kilobytes}));
  return notification;
}

Result<void> IkeService::Engine::ObeyResponderLifetime(const IsakmpSa& sa, const Message& message,
                                                       QuickModeExchange& exchange) {
  for (const Payload* payload : message.FindAll(PayloadType::kNotification)) {
    auto notification = ParseNotificationPayload(payload->body);
    if (!notification) {
      return std::unexpected(notification.error());
    }
    if (notification->notify_type != kNotifyResponderLifetime) {
      continue;
    }
    auto attributes = ParseDataAttributes(notification->data);
    if (!attributes) {
      return std::unexpected(attributes.error());
    }
    auto lifetime = DecodeIpsecLifetime(*attributes);
    if (!lifetime) {
      return std::unexpected(lifetime.error());
    }
    // The responder may only shorten what we offered.
    EspTransform& chosen = exchange.chosen;
    if (lifetime->seconds.count() > 0 && lifetime->seconds < chosen.lifetime) {
      chosen.lifetime = lifetime->seconds;
    }
    if (lifetime->kilobytes > 0 && (chosen.lifetime_kilobytes == 0 || lifetime->kilobytes < chosen.lifetime_kilobytes)) {
      chosen.lifetime_kilobytes = lifetime->kilobytes;
    }
    IPOP_LOG(kInfo) << "RESPONDER-LIFETIME from " << sa.remote.ToString() << ": the IPsec-SAs live "
                    << chosen.lifetime.count() << " s"
                    << (chosen.lifetime_kilobytes != 0 ? " or " + std::to_string(chosen.lifetime_kilobytes) + " KB"
                                                       : std::string());
  }
  return {};
}

// ---- ISAKMP SAs (`rekey on|off|force`) ----

void IkeService::Engine::SchedulePhase1Rekey(IsakmpSa& sa) {
  if (sa.remote_config->rekey == config::Phase1Rekey::kOff || sa.transform.lifetime.count() == 0) {
    return;
  }
  const uint64_t sa_id = sa.id;
  timers_.Cancel(sa.rekey_timer);
  sa.rekey_timer = timers_.Schedule(RekeyDelay(sa.transform.lifetime, sa.initiator, crypto::RandomU32()),
                                    [this, sa_id] { OnPhase1RekeyDue(sa_id); });
}

void IkeService::Engine::OnPhase1RekeyDue(uint64_t sa_id) {
  IsakmpSa* sa = FindSaById(sa_id);
  if (sa == nullptr || sa->state != Phase1State::kEstablished) {
    return;
  }
  sa->rekey_timer = 0;
  const std::string cookies = CookiePairText(sa->cookie_i, sa->cookie_r);
  for (const auto& [id, other] : sas_) {
    const bool newer = id > sa_id && other->state != Phase1State::kDead && SamePeer(*other, *sa);
    if (newer) {
      IPOP_LOG(kDebug) << "ISAKMP-SA " << cookies << " needs no rekey: a newer one with "
                       << sa->remote.ToString() << " exists";
      return;
    }
  }
  const bool has_phase2 = std::ranges::any_of(
      esp_pairs_, [&](const InstalledEspPair& pair) { return !pair.superseded && PairBelongsToPeer(pair, *sa); });
  if (sa->remote_config->rekey == config::Phase1Rekey::kOn && !has_phase2) {
    IPOP_LOG(kInfo) << "ISAKMP-SA " << cookies << " is not rekeyed: no IPsec-SA with " << sa->remote.ToString()
                    << " uses it";
    return;
  }
  sa->rekey_started = true;
  IPOP_LOG(kInfo) << "ISAKMP-SA " << cookies << " reached its soft lifetime; negotiating its successor";
  StartPhase1(sa->local, sa->remote, *sa->remote_config);
}

}  // namespace ipop::ike
