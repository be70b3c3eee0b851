// Dead Peer Detection (RFC 3706). An established ISAKMP SA whose remote
// section sets dpd_delay checks the peer every dpd_delay seconds. A peer is
// idle when neither an authenticated IKE message nor an ESP packet on its
// inbound SAs came in during that time. An idle peer gets R-U-THERE, repeated
// every dpd_retry seconds until the ACK arrives. After dpd_maxfail unanswered
// requests the peer is dead and its SAs are deleted.
//
//   HDR*, HASH(1), N(R-U-THERE, CKY-I|CKY-R, sequence) -->
//                  <-- HDR*, HASH(1), N(R-U-THERE-ACK, CKY-I|CKY-R, sequence)
#include "ike/dpd.h"

#include <algorithm>

#include "base/byte_reader.h"
#include "base/byte_writer.h"
#include "base/log.h"
#include "crypto/random.h"
#include "ike/engine.h"

namespace ipop::ike {

namespace {

// RFC 3706 §5: the sequence number is the 4-byte Notification Data.
constexpr size_t kDpdSequenceSize = 4;

// The first sequence number is random (RFC 3706 §7). Clearing the top bit
// leaves 2^31 requests before the number wraps.
constexpr uint32_t kInitialSequenceMask = 0x7fffffff;

}  // namespace

std::optional<uint32_t> ReadDpdSequence(const NotificationPayload& notification) {
  ByteReader reader(notification.data);
  uint32_t sequence = 0;
  if (notification.data.size() != kDpdSequenceSize || !reader.ReadU32(sequence)) {
    return std::nullopt;
  }
  return sequence;
}

bool DpdNotifyNamesSa(const NotificationPayload& notification, const Cookie& cookie_i, const Cookie& cookie_r) {
  return notification.spi == CookiePair(cookie_i, cookie_r) || notification.spi == CookiePair(cookie_r, cookie_i);
}

void IkeService::Engine::StartDpd(IsakmpSa& sa) {
  const config::RemoteConfig& remote_config = *sa.remote_config;
  if (remote_config.dpd_delay.count() == 0) {
    return;
  }
  if (!remote_config.dpd || !sa.peer_dpd) {
    IPOP_LOG(kInfo) << "DPD disabled with " << sa.remote.ToString() << ": "
                    << (remote_config.dpd ? "the peer did not send the DPD vendor ID"
                                          : "dpd off in the remote section");
    return;
  }
  sa.dpd.enabled = true;
  sa.dpd.sequence = crypto::RandomU32() & kInitialSequenceMask;
  sa.dpd.inbound_packets = 0;
  CheckInboundEsp(sa);
  sa.dpd.last_proof = timers_.Now();
  const uint64_t sa_id = sa.id;
  sa.dpd.timer = timers_.Schedule(remote_config.dpd_delay, [this, sa_id] { OnDpdIdleCheck(sa_id); });
}

void IkeService::Engine::NotePeerAlive(IsakmpSa& sa) {
  sa.dpd.last_proof = timers_.Now();
}

void IkeService::Engine::CheckInboundEsp(IsakmpSa& sa) {
  uint64_t packets = 0;
  const std::vector<esp::EspSaStatus> list = kernel_.ListSas();
  for (const InstalledEspPair& pair : esp_pairs_) {
    if (!PairBelongsToPeer(pair, sa)) {
      continue;
    }
    for (const esp::EspSaStatus& status : list) {
      if (status.inbound && status.spi == pair.inbound_spi && status.destination == pair.local) {
        packets += status.packets;
      }
    }
  }
  // A count that went down means an SA went away, so only growth is a proof.
  if (packets > sa.dpd.inbound_packets) {
    sa.dpd.last_proof = timers_.Now();
  }
  sa.dpd.inbound_packets = packets;
}

void IkeService::Engine::OnDpdIdleCheck(uint64_t sa_id) {
  IsakmpSa* sa = FindSaById(sa_id);
  if (sa == nullptr || sa->state != Phase1State::kEstablished) {
    return;
  }
  sa->dpd.timer = 0;
  CheckInboundEsp(*sa);
  const Duration delay = sa->remote_config->dpd_delay;
  const TimePoint now = timers_.Now();
  if (now - sa->dpd.last_proof < delay) {
    // Traffic proved the peer alive, so the next check is dpd_delay after it.
    sa->dpd.timer = timers_.Schedule(sa->dpd.last_proof + delay - now, [this, sa_id] { OnDpdIdleCheck(sa_id); });
    return;
  }
  sa->dpd.unanswered = 0;
  SendDpdRequest(*sa);
}

void IkeService::Engine::OnDpdRetry(uint64_t sa_id) {
  IsakmpSa* sa = FindSaById(sa_id);
  if (sa == nullptr || sa->state != Phase1State::kEstablished) {
    return;
  }
  sa->dpd.timer = 0;
  CheckInboundEsp(*sa);
  if (sa->dpd.last_proof >= sa->dpd.request_sent) {
    // ESP or another authenticated message came in while the request was
    // open, which proves the peer alive as well as the ACK would.
    sa->dpd.awaiting_ack = false;
    sa->dpd.unanswered = 0;
    sa->dpd.timer = timers_.Schedule(sa->remote_config->dpd_delay, [this, sa_id] { OnDpdIdleCheck(sa_id); });
    return;
  }
  if (sa->dpd.unanswered >= sa->remote_config->dpd_maxfail) {
    DeclarePeerDead(*sa);
    return;
  }
  SendDpdRequest(*sa);
}

void IkeService::Engine::SendDpdRequest(IsakmpSa& sa) {
  ++sa.dpd.sequence;
  sa.dpd.awaiting_ack = true;
  sa.dpd.request_sent = timers_.Now();
  ++sa.dpd.unanswered;
  if (sa.dpd.unanswered == 1) {
    sa.dpd.first_request_sent = sa.dpd.request_sent;
  }
  ++counters_.dpd_requests_sent;

  NotificationPayload request;
  request.protocol_id = kProtocolIsakmp;
  request.notify_type = kNotifyDpdRUThere;
  request.spi = CookiePair(sa.cookie_i, sa.cookie_r);
  ByteWriter data;
  data.WriteU32(sa.dpd.sequence);
  request.data = data.Take();
  IPOP_LOG(kDebug) << "DPD R-U-THERE sent to " << sa.remote.ToString() << " seq " << sa.dpd.sequence << " ("
                   << sa.dpd.unanswered << " of " << sa.remote_config->dpd_maxfail << ")";
  SendProtectedInformational(sa, PayloadType::kNotification, EncodeBody(request));

  const uint64_t sa_id = sa.id;
  sa.dpd.timer = timers_.Schedule(sa.remote_config->dpd_retry, [this, sa_id] { OnDpdRetry(sa_id); });
}

void IkeService::Engine::HandleDpdRequest(IsakmpSa& sa, const NotificationPayload& request,
                                          const Endpoint& remote) {
  if (sa.state != Phase1State::kEstablished) {
    Drop("invalid state", remote, "R-U-THERE before the ISAKMP SA is established");
    return;
  }
  if (!DpdNotifyNamesSa(request, sa.cookie_i, sa.cookie_r) || !ReadDpdSequence(request)) {
    Drop("malformed message", remote, "R-U-THERE without the SA's cookies or a 4-byte sequence number");
    return;
  }
  // RFC 3706 §5: the acknowledgement repeats the request's sequence number.
  // The SPI is always sent in the RFC's order, whatever order the peer used.
  NotificationPayload ack = request;
  ack.notify_type = kNotifyDpdRUThereAck;
  ack.spi = CookiePair(sa.cookie_i, sa.cookie_r);
  IPOP_LOG(kDebug) << "DPD R-U-THERE received from " << remote.ToString() << "; sending R-U-THERE-ACK";
  SendProtectedInformational(sa, PayloadType::kNotification, EncodeBody(ack));
}

void IkeService::Engine::HandleDpdAck(IsakmpSa& sa, const NotificationPayload& ack, const Endpoint& remote) {
  const std::optional<uint32_t> sequence = ReadDpdSequence(ack);
  if (!DpdNotifyNamesSa(ack, sa.cookie_i, sa.cookie_r) || !sequence) {
    Drop("malformed message", remote, "R-U-THERE-ACK without the SA's cookies or a 4-byte sequence number");
    return;
  }
  // RFC 3706 §7: an ACK carries the sequence number of the request it
  // acknowledges. A late ACK of an earlier request proves nothing new.
  if (!sa.dpd.awaiting_ack || *sequence != sa.dpd.sequence) {
    Drop("stale R-U-THERE-ACK", remote,
         "sequence " + std::to_string(*sequence) + ", expected " + std::to_string(sa.dpd.sequence) +
             (sa.dpd.awaiting_ack ? "" : " (no request open)"));
    return;
  }
  ++counters_.dpd_acks_received;
  IPOP_LOG(kDebug) << "DPD R-U-THERE-ACK received from " << remote.ToString() << " seq " << *sequence;
  sa.dpd.awaiting_ack = false;
  sa.dpd.unanswered = 0;
  timers_.Cancel(sa.dpd.timer);
  const uint64_t sa_id = sa.id;
  sa.dpd.timer = timers_.Schedule(sa.remote_config->dpd_delay, [this, sa_id] { OnDpdIdleCheck(sa_id); });
}

void IkeService::Engine::DeclarePeerDead(IsakmpSa& sa) {
  sa.dpd.awaiting_ack = false;
  // With two ISAKMP SAs to one peer (after both sides initiated at once),
  // the peer may have dropped one of them. Only that SA goes when the peer
  // proved itself alive on the other since the first unanswered request.
  for (auto& [id, other] : sas_) {
    if (other.get() == &sa || other->state != Phase1State::kEstablished || !SamePeer(*other, sa) ||
        other->dpd.last_proof < sa.dpd.first_request_sent) {
      continue;
    }
    IPOP_LOG(kWarning) << "DPD: ISAKMP-SA " << CookiePairText(sa.cookie_i, sa.cookie_r)
                       << " got no R-U-THERE-ACK, but " << sa.remote.ToString() << " is alive on ISAKMP-SA "
                       << CookiePairText(other->cookie_i, other->cookie_r) << "; deleting only the former";
    SendDeletes(sa, {});
    ScheduleRemoval(sa);
    return;
  }

  ++counters_.dpd_peers_dead;
  IPOP_LOG(kError) << "DPD: remote (ISAKMP-SA spi=" << CookiePairText(sa.cookie_i, sa.cookie_r)
                   << ") seems to be dead.";
  EmitPhase1Event(sa, Phase1EventKind::kDead);
  std::vector<InstalledEspPair> pairs;
  for (const InstalledEspPair& pair : esp_pairs_) {
    if (PairBelongsToPeer(pair, sa)) {
      IPOP_LOG(kInfo) << "purged IPsec-SA proto_id=ESP spi=" << pair.outbound_spi << ".";
      IPOP_LOG(kInfo) << "purged IPsec-SA proto_id=ESP spi=" << pair.inbound_spi << ".";
      pairs.push_back(pair);
    }
  }
  // The Deletes reach a peer that is alive behind a path that only lost
  // one direction, so that it drops the SAs too.
  SendDeletes(sa, pairs);
  for (auto& [id, other] : sas_) {
    if (other.get() != &sa && other->state != Phase1State::kDead && SamePeer(*other, sa)) {
      ScheduleRemoval(*other);
    }
  }
  ScheduleRemoval(sa);
  // The next SA with this peer starts afresh, so it carries INITIAL-CONTACT
  // and makes a peer that kept its old SAs drop them.
  peers_with_sa_.erase(sa.remote.address);
}

}  // namespace ipop::ike
