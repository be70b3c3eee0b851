#include "ike/engine.h"

#include <algorithm>
#include <cstdio>

#include "base/log.h"
#include "crypto/random.h"
#include "ike/isakmp_header.h"
#include "ike/payload_fragment.h"

namespace ipop::ike {

namespace {

// The ISAKMP port that IANA assigned.
constexpr uint16_t kIkePort = 500;

// Log the first few drops of each reason, then only every power of two, so
// that a flood of bad input cannot fill the log.
bool ShouldLogDrop(uint64_t count) {
  return count <= 8 || (count & (count - 1)) == 0;
}

bool AllowedPhase1Transition(Phase1State from, Phase1State to) {
  if (to == Phase1State::kDead) {
    return from != Phase1State::kDead;
  }
  switch (from) {
    case Phase1State::kInitiatorSentSa:
      return to == Phase1State::kInitiatorSentKe;
    case Phase1State::kInitiatorSentKe:
      return to == Phase1State::kInitiatorSentAuth;
    case Phase1State::kInitiatorSentAuth:
      return to == Phase1State::kEstablished;
    case Phase1State::kResponderSentSa:
      return to == Phase1State::kResponderSentKe;
    case Phase1State::kResponderSentKe:
    case Phase1State::kAggressiveInitiatorSent1:
    case Phase1State::kAggressiveResponderSent2:
      return to == Phase1State::kEstablished;
    case Phase1State::kEstablished:
    case Phase1State::kDead:
      return false;
  }
  return false;
}

bool AllowedQuickModeTransition(QuickModeState from, QuickModeState to) {
  if (to == QuickModeState::kDead) {
    return from != QuickModeState::kDead;
  }
  return to == QuickModeState::kEstablished &&
         (from == QuickModeState::kInitiatorSentHash1 || from == QuickModeState::kResponderSentHash2);
}

}  // namespace

const char* Phase1StateName(Phase1State state) {
  switch (state) {
    case Phase1State::kInitiatorSentSa:
      return "MM: sent message 1";
    case Phase1State::kInitiatorSentKe:
      return "MM: sent message 3";
    case Phase1State::kInitiatorSentAuth:
      return "MM: sent message 5";
    case Phase1State::kResponderSentSa:
      return "MM: sent message 2";
    case Phase1State::kResponderSentKe:
      return "MM: sent message 4";
    case Phase1State::kAggressiveInitiatorSent1:
      return "AM: sent message 1";
    case Phase1State::kAggressiveResponderSent2:
      return "AM: sent message 2";
    case Phase1State::kEstablished:
      return "established";
    case Phase1State::kDead:
      return "dead";
  }
  return "unknown";
}

const char* QuickModeStateName(QuickModeState state) {
  switch (state) {
    case QuickModeState::kInitiatorSentHash1:
      return "QM: sent message 1";
    case QuickModeState::kResponderSentHash2:
      return "QM: sent message 2";
    case QuickModeState::kEstablished:
      return "established";
    case QuickModeState::kDead:
      return "dead";
  }
  return "unknown";
}

uint64_t CookieValue(const Cookie& cookie) {
  uint64_t value = 0;
  for (std::byte b : cookie) {
    value = (value << 8) | std::to_integer<uint64_t>(b);
  }
  return value;
}

bool SamePeer(const IsakmpSa& a, const IsakmpSa& b) {
  if (a.remote.address != b.remote.address) {
    return false;
  }
  return !(a.nat.peer_behind_nat || b.nat.peer_behind_nat) || a.remote.port == b.remote.port;
}

bool PairBelongsToPeer(const InstalledEspPair& pair, const IsakmpSa& sa) {
  if (pair.isakmp_sa_id == sa.id) {
    return true;
  }
  if (pair.remote != sa.remote.address) {
    return false;
  }
  return !(pair.peer_behind_nat || sa.nat.peer_behind_nat) || pair.remote_port == sa.remote.port;
}

std::string CookiePairText(const Cookie& cookie_i, const Cookie& cookie_r) {
  return ToHex(cookie_i) + ":" + ToHex(cookie_r);
}

IkeService::Engine::Engine(const config::RuntimeConfig& config, TimerService& timers,
                           esp::KernelSeam& kernel, DatagramSender& sender)
    : config_(config), timers_(timers), kernel_(kernel), sender_(sender) {}

IkeService::Engine::~Engine() {
  timers_.Cancel(removal_timer_);
  for (auto& [id, sa] : sas_) {
    CancelRetransmission(sa->last_sent);
    timers_.Cancel(sa->timeout_timer);
    timers_.Cancel(sa->lifetime_timer);
    timers_.Cancel(sa->dpd.timer);
    timers_.Cancel(sa->rekey_timer);
    for (auto& [message_id, exchange] : sa->quick_modes) {
      CancelRetransmission(exchange.last_sent);
      timers_.Cancel(exchange.timeout_timer);
    }
  }
  for (const InstalledEspPair& pair : esp_pairs_) {
    CancelEspPairTimers(pair);
  }
}

// ---- SA table ----

IsakmpSa* IkeService::Engine::FindSa(const Cookie& cookie_i) {
  for (auto& [id, sa] : sas_) {
    if (sa->cookie_i == cookie_i && sa->state != Phase1State::kDead) {
      return sa.get();
    }
  }
  return nullptr;
}

IsakmpSa* IkeService::Engine::FindSaById(uint64_t id) {
  auto found = sas_.find(id);
  if (found == sas_.end() || found->second->state == Phase1State::kDead) {
    return nullptr;
  }
  return found->second.get();
}

IsakmpSa* IkeService::Engine::FindEstablishedSa(Ipv4Address peer) {
  IsakmpSa* newest = nullptr;
  for (auto& [id, sa] : sas_) {
    if (sa->remote.address == peer && sa->state == Phase1State::kEstablished) {
      newest = sa.get();  // ids grow, so the last match is the newest
    }
  }
  return newest;
}

IsakmpSa* IkeService::Engine::FindNegotiatingSa(Ipv4Address peer) {
  for (auto& [id, sa] : sas_) {
    if (sa->remote.address == peer && sa->state != Phase1State::kEstablished &&
        sa->state != Phase1State::kDead) {
      return sa.get();
    }
  }
  return nullptr;
}

IsakmpSa& IkeService::Engine::CreateSa(bool initiator, const Endpoint& local, const Endpoint& remote,
                                       const config::RemoteConfig& remote_config) {
  auto sa = std::make_unique<IsakmpSa>();
  sa->id = next_sa_id_++;
  sa->initiator = initiator;
  sa->state = initiator ? Phase1State::kInitiatorSentSa : Phase1State::kResponderSentSa;
  sa->local = local;
  sa->remote = remote;
  sa->remote_config = &remote_config;
  sa->created = timers_.Now();
  // A cookie must not be zero: a zero responder cookie means "not yet
  // chosen" (RFC 2408 §3.1).
  Cookie& own = initiator ? sa->cookie_i : sa->cookie_r;
  do {
    crypto::RandomBytes(own);
  } while (CookieValue(own) == 0);
  IsakmpSa& result = *sa;
  sas_[sa->id] = std::move(sa);

  const uint64_t sa_id = result.id;
  result.timeout_timer =
      timers_.Schedule(remote_config.phase1_timeout, [this, sa_id] { OnPhase1Timeout(sa_id); });
  return result;
}

void IkeService::Engine::ScheduleRemoval(IsakmpSa& sa) {
  if (sa.state != Phase1State::kDead) {
    Transition(sa, Phase1State::kDead);
  }
  CancelRetransmission(sa.last_sent);
  timers_.Cancel(sa.timeout_timer);
  timers_.Cancel(sa.lifetime_timer);
  timers_.Cancel(sa.dpd.timer);
  sa.dpd.timer = 0;
  timers_.Cancel(sa.rekey_timer);
  timers_.Cancel(sa.retire_timer);
  sa.retire_timer = 0;
  for (auto& [message_id, exchange] : sa.quick_modes) {
    CancelRetransmission(exchange.last_sent);
    timers_.Cancel(exchange.timeout_timer);
    RemoveEarlyInboundEsp(exchange);
  }
  if (!removal_scheduled_) {
    removal_scheduled_ = true;
    removal_timer_ = timers_.Schedule(Duration::zero(), [this] { RemoveDeadSas(); });
  }
}

void IkeService::Engine::RemoveDeadSas() {
  removal_scheduled_ = false;
  removal_timer_ = 0;
  std::erase_if(sas_, [](const auto& entry) { return entry.second->state == Phase1State::kDead; });
}

Endpoint IkeService::Engine::LocalEndpointFor(Ipv4Address source) const {
  for (const Endpoint& listen : config_.listen.isakmp) {
    if (listen.address == source) {
      return listen;
    }
  }
  // A request without a source address goes out from the first configured
  // listen address, since the IDs and NAT-D hashes need a real one.
  if (source == Ipv4Address() && !config_.listen.isakmp.empty()) {
    return config_.listen.isakmp.front();
  }
  return Endpoint{source, kIkePort};
}

// ---- logging and state ----

void IkeService::Engine::Drop(const std::string& reason, const Endpoint& remote,
                              const std::string& detail) {
  const uint64_t count = ++counters_.drops[reason];
  if (ShouldLogDrop(count)) {
    IPOP_LOG(kWarning) << "dropped message from " << remote.ToString() << ": " << reason
                       << (detail.empty() ? "" : ": ") << detail << " (" << count << " so far)";
  }
}

void IkeService::Engine::Transition(IsakmpSa& sa, Phase1State next) {
  if (!AllowedPhase1Transition(sa.state, next)) {
    IPOP_LOG(kError) << "internal error: ISAKMP-SA " << CookiePairText(sa.cookie_i, sa.cookie_r)
                     << " cannot go from " << Phase1StateName(sa.state) << " to "
                     << Phase1StateName(next);
    return;
  }
  IPOP_LOG(kDebug) << "ISAKMP-SA " << CookiePairText(sa.cookie_i, sa.cookie_r) << " "
                   << Phase1StateName(sa.state) << " -> " << Phase1StateName(next);
  const Phase1State previous = sa.state;
  sa.state = next;
  if (next == Phase1State::kEstablished) {
    EmitPhase1Event(sa, Phase1EventKind::kUp);
  } else if (previous == Phase1State::kEstablished && next == Phase1State::kDead) {
    EmitPhase1Event(sa, Phase1EventKind::kDown);
  }
}

void IkeService::Engine::Transition(IsakmpSa& sa, QuickModeExchange& exchange, QuickModeState next) {
  char message_id[9];
  std::snprintf(message_id, sizeof(message_id), "%08x", exchange.message_id);
  if (!AllowedQuickModeTransition(exchange.state, next)) {
    IPOP_LOG(kError) << "internal error: Quick Mode " << CookiePairText(sa.cookie_i, sa.cookie_r) << ":"
                     << message_id << " cannot go from " << QuickModeStateName(exchange.state) << " to "
                     << QuickModeStateName(next);
    return;
  }
  IPOP_LOG(kDebug) << "Quick Mode " << CookiePairText(sa.cookie_i, sa.cookie_r) << ":" << message_id << " "
                   << QuickModeStateName(exchange.state) << " -> " << QuickModeStateName(next);
  exchange.state = next;
}

// ---- sending and retransmission ----

void IkeService::Engine::Send(const Endpoint& local, const Endpoint& remote, ByteView bytes) {
  ++counters_.datagrams_sent;
  IPOP_LOG(kDebug) << bytes.size() << " bytes from " << local.ToString() << " to " << remote.ToString();
  sender_.SendDatagram(local, remote, bytes);
}

void IkeService::Engine::SendAndRemember(std::optional<SentMessage>& slot, const Endpoint& local,
                                         const Endpoint& remote, Bytes bytes, bool expect_reply,
                                         const config::RemoteConfig& remote_config,
                                         std::function<void()> on_retransmit_due, std::vector<Bytes> fragments) {
  CancelRetransmission(slot);
  slot = SentMessage{};
  slot->bytes = std::move(bytes);
  slot->fragments = std::move(fragments);
  slot->local = local;
  slot->remote = remote;
  SendStored(*slot);
  if (!expect_reply) {
    return;
  }
  slot->retransmissions_left = remote_config.retry_counter;
  slot->next_interval = remote_config.retry_interval;
  slot->retransmit_timer = timers_.Schedule(slot->next_interval, std::move(on_retransmit_due));
}

void IkeService::Engine::SendStored(const SentMessage& message) {
  if (message.fragments.empty()) {
    Send(message.local, message.remote, message.bytes);
    return;
  }
  for (const Bytes& fragment : message.fragments) {
    Send(message.local, message.remote, fragment);
  }
}

void IkeService::Engine::CancelRetransmission(std::optional<SentMessage>& slot) {
  if (slot && slot->retransmit_timer != 0) {
    timers_.Cancel(slot->retransmit_timer);
    slot->retransmit_timer = 0;
  }
}

void IkeService::Engine::Retransmit(std::optional<SentMessage>& slot,
                                    const config::RemoteConfig& /*remote_config*/,
                                    std::function<void()> on_retransmit_due) {
  if (!slot) {
    return;
  }
  slot->retransmit_timer = 0;
  if (slot->retransmissions_left <= 0) {
    // The phase 1 or phase 2 time limit ends the exchange.
    return;
  }
  --slot->retransmissions_left;
  ++counters_.retransmissions;
  IPOP_LOG(kDebug) << "retransmitting " << slot->bytes.size() << " bytes to " << slot->remote.ToString()
                   << ", " << slot->retransmissions_left << " retransmissions left";
  SendStored(*slot);
  // Exponential backoff: each wait doubles the previous one.
  slot->next_interval *= 2;
  slot->retransmit_timer = timers_.Schedule(slot->next_interval, std::move(on_retransmit_due));
}

bool IkeService::Engine::AnswerDuplicate(const Bytes& last_received, std::optional<SentMessage>& last_sent,
                                         ByteView datagram, const Endpoint& remote, bool resend) {
  if (last_received.empty() || !std::ranges::equal(last_received, datagram)) {
    return false;
  }
  ++counters_.drops["retransmitted peer message"];
  if (resend && last_sent) {
    IPOP_LOG(kDebug) << "peer " << remote.ToString() << " retransmitted; sending our last reply again";
    SendStored(*last_sent);
  }
  return true;
}

// ---- phase 1 life cycle ----

void IkeService::Engine::FailPhase1(IsakmpSa& sa, const std::string& reason) {
  if (sa.state == Phase1State::kDead) {
    return;
  }
  ++counters_.phase1_failed;
  IPOP_LOG(kError) << "phase1 negotiation failed: " << reason << ". " << sa.remote.ToString()
                   << " spi:" << CookiePairText(sa.cookie_i, sa.cookie_r);
  for (const esp::AcquireRequest& request : sa.queued_acquires) {
    IPOP_LOG(kError) << "IPsec-SA request for " << request.destination.ToString()
                     << " dropped because phase 1 failed";
  }
  sa.queued_acquires.clear();
  ScheduleRemoval(sa);
}

void IkeService::Engine::OnPhase1Timeout(uint64_t sa_id) {
  IsakmpSa* sa = FindSaById(sa_id);
  if (sa == nullptr) {
    return;
  }
  sa->timeout_timer = 0;
  if (sa->state == Phase1State::kEstablished) {
    return;
  }
  ++counters_.phase1_failed;
  IPOP_LOG(kError) << "phase1 negotiation failed due to time up. " << sa->remote.ToString()
                   << " spi:" << CookiePairText(sa->cookie_i, sa->cookie_r)
                   << (sa->last_error.empty() ? "" : " (last error: " + sa->last_error + ")");
  for (const esp::AcquireRequest& request : sa->queued_acquires) {
    IPOP_LOG(kError) << "IPsec-SA request for " << request.destination.ToString()
                     << " dropped because phase 1 timed out";
  }
  sa->queued_acquires.clear();
  ScheduleRemoval(*sa);
}

void IkeService::Engine::OnPhase1Expired(uint64_t sa_id) {
  IsakmpSa* sa = FindSaById(sa_id);
  if (sa == nullptr) {
    return;
  }
  sa->lifetime_timer = 0;
  IPOP_LOG(kInfo) << "ISAKMP-SA expired " << sa->local.ToString() << "-" << sa->remote.ToString()
                  << " spi:" << CookiePairText(sa->cookie_i, sa->cookie_r);
  // The ESP SAs keep their own lifetimes; only the ISAKMP SA goes, and the
  // peer is told so that it does not use it for a rekey.
  SendDeletes(*sa, {});
  ScheduleRemoval(*sa);
}

// ---- entry points ----

void IkeService::Engine::HandleDatagram(const Endpoint& local, const Endpoint& remote, ByteView datagram) {
  if (shut_down_) {
    return;
  }
  ++counters_.datagrams_received;
  IPOP_LOG(kDebug) << datagram.size() << " bytes message received from " << remote.ToString() << " to "
                   << local.ToString();
  if (IsFragmentDatagram(datagram)) {
    HandleFragment(local, remote, datagram);
    return;
  }
  HandleMessage(local, remote, datagram);
}

void IkeService::Engine::HandleMessage(const Endpoint& local, const Endpoint& remote, ByteView datagram) {
  auto message = ParseMessage(datagram);
  if (!message) {
    Drop("malformed message", remote, ToString(message.error()));
    return;
  }
  switch (message->header().exchange_type) {
    case ExchangeType::kIdentityProtection:
      HandleMainMode(*message, local, remote, datagram);
      return;
    case ExchangeType::kAggressive:
      HandleAggressiveMode(*message, local, remote, datagram);
      return;
    case ExchangeType::kQuickMode: {
      IsakmpSa* sa = FindSa(message->header().initiator_cookie);
      if (sa == nullptr || sa->cookie_r != message->header().responder_cookie) {
        Drop("unknown cookie", remote, "Quick Mode for no ISAKMP SA");
        return;
      }
      if (sa->state != Phase1State::kEstablished) {
        Drop("invalid state", remote, "Quick Mode before the ISAKMP SA is established");
        return;
      }
      HandleQuickMode(*sa, *message, datagram, local, remote);
      return;
    }
    case ExchangeType::kInformational: {
      IsakmpSa* sa = FindSa(message->header().initiator_cookie);
      if (sa != nullptr && sa->cookie_r != message->header().responder_cookie &&
          CookieValue(message->header().responder_cookie) != 0) {
        sa = nullptr;
      }
      HandleInformational(sa, *message, remote);
      return;
    }
    default:
      Drop("unsupported exchange type", remote, ExchangeTypeName(message->header().exchange_type));
      return;
  }
}

void IkeService::Engine::Acquire(const esp::AcquireRequest& packet_request) {
  if (shut_down_) {
    return;
  }
  // A tunnel-mode request names the inner packet's addresses, but IKE
  // negotiates with the peer gateway.
  const esp::AcquireRequest request = AcquireTowardsGateway(kernel_.ListPolicies(), packet_request);
  if (IsPassivePeer(request.destination)) {
    return;
  }
  if (IsakmpSa* sa = FindEstablishedSa(request.destination)) {
    StartQuickMode(*sa, request);
    return;
  }
  if (IsakmpSa* sa = FindNegotiatingSa(request.destination)) {
    IPOP_LOG(kInfo) << "IPsec-SA request for " << request.destination.ToString()
                    << " queued due to no phase1 found.";
    sa->queued_acquires.push_back(request);
    return;
  }
  const config::RemoteConfig* remote_config = config_.FindRemote(request.destination);
  if (remote_config == nullptr) {
    IPOP_LOG(kError) << "IPsec-SA request for " << request.destination.ToString()
                     << " failed: no remote section matches this address";
    return;
  }
  IPOP_LOG(kInfo) << "IPsec-SA request for " << request.destination.ToString()
                  << " queued due to no phase1 found.";
  const Endpoint local = LocalEndpointFor(request.source);
  StartPhase1(local, Endpoint{request.destination, kIkePort}, *remote_config);
  if (IsakmpSa* sa = FindNegotiatingSa(request.destination)) {
    sa->queued_acquires.push_back(request);
  }
}

std::vector<IsakmpSaStatus> IkeService::Engine::ListIsakmpSas() const {
  std::vector<IsakmpSaStatus> list;
  const TimePoint now = timers_.Now();
  for (const auto& [id, sa] : sas_) {
    if (sa->state == Phase1State::kDead) {
      continue;
    }
    IsakmpSaStatus status;
    status.local = sa->local;
    status.remote = sa->remote;
    status.cookie_i = CookieValue(sa->cookie_i);
    status.cookie_r = CookieValue(sa->cookie_r);
    status.initiator = sa->initiator;
    status.established = sa->state == Phase1State::kEstablished;
    status.state = Phase1StateName(sa->state);
    status.cipher = sa->transform.cipher;
    status.key_bits = sa->transform.key_bits;
    status.hash = sa->transform.hash;
    status.auth_method = sa->transform.auth_method;
    status.dh_group = sa->transform.dh_group;
    status.lifetime = sa->transform.lifetime;
    status.age = std::chrono::duration_cast<std::chrono::seconds>(now - sa->created);
    status.nat_detected_local = sa->nat.local_behind_nat;
    status.nat_detected_peer = sa->nat.peer_behind_nat;
    status.peer_identity = sa->peer_identity;
    list.push_back(std::move(status));
  }
  return list;
}

void IkeService::Engine::Shutdown() {
  if (shut_down_) {
    return;
  }
  for (auto& [id, sa] : sas_) {
    if (sa->state == Phase1State::kEstablished) {
      std::vector<InstalledEspPair> pairs;
      for (const InstalledEspPair& pair : esp_pairs_) {
        if (PairBelongsToPeer(pair, *sa)) {
          pairs.push_back(pair);
        }
      }
      SendDeletes(*sa, pairs);
    }
    if (sa->state != Phase1State::kDead) {
      ScheduleRemoval(*sa);
    }
  }
  // ESP SAs whose ISAKMP SA is gone cannot be announced, but still go.
  const std::vector<InstalledEspPair> orphans = esp_pairs_;
  for (const InstalledEspPair& pair : orphans) {
    DeleteEspPair(pair);
  }
  shut_down_ = true;
  sas_.clear();
  removal_scheduled_ = false;
}

}  // namespace ipop::ike
