// Informational exchanges (RFC 2409 §5.7): Delete and notify payloads,
// protected by HASH(1) = prf(SKEYID_a, M-ID | N/D) once an ISAKMP SA has
// keys, and INITIAL-CONTACT (RFC 2407 §4.6.3.3) and DPD (RFC 3706) handling.
//
//   HDR*, HASH(1), N/D -->
#include <algorithm>

#include "base/log.h"
#include "ike/engine.h"
#include "ike/payload_hash.h"
#include "ike/payload_rules.h"

namespace ipop::ike {

namespace {

// Notify types below this value are errors (RFC 2408 §3.14.1).
constexpr uint16_t kFirstStatusNotifyType = 16384;

uint32_t SpiValue(ByteView spi) {
  uint32_t value = 0;
  for (std::byte b : spi) {
    value = (value << 8) | std::to_integer<uint32_t>(b);
  }
  return value;
}

}  // namespace

Bytes CookiePair(const Cookie& cookie_i, const Cookie& cookie_r) {
  Bytes pair(cookie_i.begin(), cookie_i.end());
  pair.insert(pair.end(), cookie_r.begin(), cookie_r.end());
  return pair;
}

void IkeService::Engine::HandleInformational(IsakmpSa* sa, const Message& message, const Endpoint& remote) {
  if (!message.header().encrypted()) {
    HandleUnprotectedInformational(sa, message, remote);
    return;
  }
  if (sa == nullptr || !sa->keys_ready || remote.address != sa->remote.address) {
    Drop("unknown cookie", remote, "protected Informational for no ISAKMP SA with keys");
    return;
  }
  const uint32_t message_id = message.header().message_id;
  if (message_id == 0) {
    Drop("invalid message ID", remote, "protected Informational with message ID 0");
    return;
  }
  if (sa->used_message_ids.contains(message_id)) {
    Drop("retransmitted peer message", remote, "Informational message ID already seen");
    return;
  }
  // Before phase 1 completes the current Main Mode IV seeds the exchange.
  const ByteView base_iv = sa->state == Phase1State::kEstablished ? ByteView(sa->phase1_last_iv) : ByteView(sa->iv);
  const Bytes iv = ComputePhase2Iv(sa->transform.hash, base_iv, message_id,
                                   crypto::IkeCipherBlockSize(sa->transform.cipher));
  Bytes next_iv;
  auto decrypted = Open(*sa, message, iv, next_iv);
  if (!decrypted) {
    Drop("authentication failed", remote, decrypted.error().detail);
    return;
  }
  if (auto checked = CheckPayloads(*decrypted, kInformationalRule); !checked) {
    Drop("malformed message", remote, checked.error().detail);
    return;
  }
  const Payload& hash_payload = decrypted->payloads().front();
  auto hash = ParseHashPayload(hash_payload.body);
  const Bytes expected = ComputeInformationalHash(sa->transform.hash, sa->keys.skeyid_a, message_id,
                                                  decrypted->BytesAfter(hash_payload));
  if (hash_payload.type != PayloadType::kHash || !hash || !crypto::ConstantTimeEqual(hash->data, expected)) {
    Drop("authentication failed", remote, "Informational HASH(1) does not match");
    return;
  }
  sa->used_message_ids.insert(message_id);
  NotePeerAlive(*sa);

  for (const Payload& payload : decrypted->payloads()) {
    if (payload.type == PayloadType::kNotification) {
      auto notification = ParseNotificationPayload(payload.body);
      if (notification) {
        HandleNotification(sa, *notification, /*authenticated=*/true, remote);
      } else {
        Drop("malformed message", remote, notification.error().detail);
      }
    } else if (payload.type == PayloadType::kDelete) {
      auto deletion = ParseDeletePayload(payload.body);
      if (deletion) {
        HandleDelete(*sa, *deletion);
      } else {
        Drop("malformed message", remote, deletion.error().detail);
      }
    }
    if (sa->state == Phase1State::kDead) {
      return;
    }
  }
}

void IkeService::Engine::HandleUnprotectedInformational(IsakmpSa* sa, const Message& message,
                                                        const Endpoint& remote) {
  // Anyone can send an unprotected Delete or notify, so neither is acted
  // on. A Delete without protection is only logged, as racoon
  // (ipsec-tools) does.
  const std::vector<const Payload*> deletions = message.FindAll(PayloadType::kDelete);
  if (!deletions.empty()) {
    const uint64_t count = ++counters_.drops["unprotected delete"];
    IPOP_LOG(kWarning) << "unprotected Delete received from " << remote.ToString() << "; ignored (" << count
                       << " so far)";
  }
  const std::vector<const Payload*> notifications = message.FindAll(PayloadType::kNotification);
  if (notifications.empty() && deletions.empty()) {
    Drop("malformed message", remote, "unprotected Informational without a notify or Delete");
    return;
  }
  for (const Payload* payload : notifications) {
    auto notification = ParseNotificationPayload(payload->body);
    if (!notification) {
      Drop("malformed message", remote, notification.error().detail);
      continue;
    }
    HandleNotification(sa, *notification, /*authenticated=*/false, remote);
  }
}

void IkeService::Engine::HandleNotification(IsakmpSa* sa, const NotificationPayload& notification,
                                            bool authenticated, const Endpoint& remote) {
  const uint16_t type = notification.notify_type;
  if (!authenticated) {
    IPOP_LOG(kWarning) << "unprotected notification " << NotifyTypeName(type) << " received from "
                       << remote.ToString() << "; ignored";
    ++counters_.drops["unprotected notification"];
    // During phase 1 an error notify is often the only hint why the peer
    // stopped replying, so the time-out message repeats it.
    if (sa != nullptr && sa->state != Phase1State::kEstablished && type < kFirstStatusNotifyType) {
      sa->last_error = "unprotected notification " + std::string(NotifyTypeName(type)) + " from the peer";
    }
    return;
  }
  if (type == kNotifyInitialContact && sa != nullptr) {
    IPOP_LOG(kInfo) << "received INITIAL-CONTACT from " << remote.ToString();
    RemoveOlderSas(*sa);
    return;
  }
  if (type == kNotifyDpdRUThere && sa != nullptr) {
    HandleDpdRequest(*sa, notification, remote);
    return;
  }
  if (type == kNotifyDpdRUThereAck && sa != nullptr) {
    HandleDpdAck(*sa, notification, remote);
    return;
  }
  if (type < kFirstStatusNotifyType) {
    IPOP_LOG(kError) << "notification " << NotifyTypeName(type) << " received from " << remote.ToString();
    return;
  }
  IPOP_LOG(kInfo) << "notification " << NotifyTypeName(type) << " received from " << remote.ToString();
}

void IkeService::Engine::HandleDelete(IsakmpSa& sa, const DeletePayload& deletion) {
  if (deletion.protocol_id == kProtocolIsakmp && deletion.spi_size == kSpiSizeIsakmpCookiePair) {
    for (const Bytes& spi : deletion.spis) {
      for (auto& [id, other] : sas_) {
        if (other->state == Phase1State::kDead || !SamePeer(*other, sa) ||
            CookiePair(other->cookie_i, other->cookie_r) != spi) {
          continue;
        }
        IPOP_LOG(kInfo) << "ISAKMP-SA deleted " << other->local.ToString() << "-" << other->remote.ToString()
                        << " spi:" << CookiePairText(other->cookie_i, other->cookie_r);
        ScheduleRemoval(*other);
      }
    }
    return;
  }
  if (deletion.protocol_id != kProtocolEsp || deletion.spi_size != kSpiSizeEsp) {
    IPOP_LOG(kWarning) << "Delete for protocol " << static_cast<int>(deletion.protocol_id) << " from "
                       << sa.remote.ToString() << " ignored";
    return;
  }
  for (const Bytes& spi_bytes : deletion.spis) {
    // The peer names the SA it receives on, which is our outbound SA.
    const uint32_t spi = SpiValue(spi_bytes);
    auto pair = std::ranges::find_if(esp_pairs_, [&](const InstalledEspPair& entry) {
      return entry.outbound_spi == spi && PairBelongsToPeer(entry, sa);
    });
    if (pair == esp_pairs_.end()) {
      IPOP_LOG(kDebug) << "Delete for unknown ESP SPI " << spi << " from " << sa.remote.ToString();
      continue;
    }
    IPOP_LOG(kInfo) << "purged IPsec-SA proto_id=ESP spi=" << spi << ".";
    DeleteEspPair(*pair);
  }
}

void IkeService::Engine::DeleteEspPair(const InstalledEspPair& pair) {
  const InstalledEspPair copy = pair;  // `pair` may point into esp_pairs_
  CancelEspPairTimers(copy);
  for (bool inbound : {false, true}) {
    const uint32_t spi = inbound ? copy.inbound_spi : copy.outbound_spi;
    // Outbound SPIs are the peers' choice, so two peers behind one NAT may
    // have picked the same one; their UDP ports tell the SAs apart.
    auto deleted = !inbound && copy.encapsulation_port != 0
                       ? kernel_.DeleteEncapsulatedSa(spi, copy.remote, copy.encapsulation_port)
                       : kernel_.DeleteSa(spi, inbound ? copy.local : copy.remote);
    if (deleted) {
      continue;
    }
    // An SA that reached its hard lifetime is already gone from the kernel.
    if (deleted.error().code == ErrorCode::kNotFound) {
      IPOP_LOG(kDebug) << "ESP SA " << spi << " was already removed";
    } else {
      IPOP_LOG(kWarning) << "deleting " << (inbound ? "inbound" : "outbound") << " ESP SA " << spi
                         << " failed: " << deleted.error().detail;
    }
  }
  std::erase_if(esp_pairs_, [&](const InstalledEspPair& entry) {
    return entry.inbound_spi == copy.inbound_spi && entry.local == copy.local;
  });
  if (auto details = pair_details_.extract(copy.inbound_spi)) {
    ReleaseGeneratedPolicies(details.mapped().generated_policy_ids);
  }
}

void IkeService::Engine::RemoveOlderSas(IsakmpSa& sa) {
  // SAs still in negotiation stay: when both sides initiate at once, each
  // may send INITIAL-CONTACT while the other's exchange is running.
  for (auto& [id, other] : sas_) {
    if (other.get() == &sa || other->state != Phase1State::kEstablished || !SamePeer(*other, sa)) {
      continue;
    }
    IPOP_LOG(kInfo) << "deleting ISAKMP-SA " << CookiePairText(other->cookie_i, other->cookie_r)
                    << " and its IPsec-SAs after INITIAL-CONTACT";
    // The Deletes matter when the peer still has this SA, which happens
    // when INITIAL-CONTACT crossed with our own negotiation.
    std::vector<InstalledEspPair> pairs;
    for (const InstalledEspPair& pair : esp_pairs_) {
      if (pair.isakmp_sa_id == other->id) {
        pairs.push_back(pair);
      }
    }
    SendDeletes(*other, pairs);
    ScheduleRemoval(*other);
  }
  std::vector<InstalledEspPair> older;
  for (const InstalledEspPair& pair : esp_pairs_) {
    if (PairBelongsToPeer(pair, sa) && pair.isakmp_sa_id != sa.id) {
      older.push_back(pair);
    }
  }
  for (const InstalledEspPair& pair : older) {
    IPOP_LOG(kInfo) << "purged IPsec-SA proto_id=ESP spi=" << pair.outbound_spi << ".";
    IPOP_LOG(kInfo) << "purged IPsec-SA proto_id=ESP spi=" << pair.inbound_spi << ".";
    DeleteEspPair(pair);
  }
}

void IkeService::Engine::SendClearNotify(const Endpoint& local, const Endpoint& remote, const Cookie& cookie_i,
                                         const Cookie& cookie_r, uint16_t notify_type) {
  IsakmpHeader header;
  header.initiator_cookie = cookie_i;
  header.responder_cookie = cookie_r;
  header.exchange_type = ExchangeType::kInformational;
  NotificationPayload notification;
  notification.protocol_id = kProtocolIsakmp;
  notification.notify_type = notify_type;
  notification.spi = CookiePair(cookie_i, cookie_r);
  MessageBuilder builder(header);
  builder.Add(notification);
  const Bytes bytes = builder.Build();
  Send(local, remote, bytes);
}

void IkeService::Engine::SendProtectedInformational(IsakmpSa& sa, PayloadType type, Bytes body) {
  if (!sa.keys_ready) {
    return;
  }
  const uint32_t message_id = NewMessageId(sa);
  sa.used_message_ids.insert(message_id);
  const ByteView base_iv = sa.state == Phase1State::kEstablished ? ByteView(sa.phase1_last_iv) : ByteView(sa.iv);
  Bytes iv = ComputePhase2Iv(sa.transform.hash, base_iv, message_id, crypto::IkeCipherBlockSize(sa.transform.cipher));

  // HDR*, HASH(1), N/D -->
  IsakmpHeader header;
  header.initiator_cookie = sa.cookie_i;
  header.responder_cookie = sa.cookie_r;
  header.exchange_type = ExchangeType::kInformational;
  header.flags = kFlagEncryption;
  header.message_id = message_id;
  MessageBuilder builder(header);
  builder.AddRaw(PayloadType::kHash, Bytes(crypto::HashLength(sa.transform.hash)));
  builder.AddRaw(type, std::move(body));
  builder.ReplaceBody(0, ComputeInformationalHash(sa.transform.hash, sa.keys.skeyid_a, message_id,
                                                  builder.EncodeChain(1)));
  auto sealed = Seal(sa, builder, iv);
  if (!sealed) {
    IPOP_LOG(kError) << "Informational to " << sa.remote.ToString() << " not sent: " << sealed.error().detail;
    return;
  }
  Send(sa.local, sa.remote, *sealed);
}

void IkeService::Engine::SendEspDelete(IsakmpSa& sa, const InstalledEspPair& pair) {
  // We name the SA we receive on (RFC 2408 §3.15), as racoon does.
  DeletePayload deletion;
  deletion.protocol_id = kProtocolEsp;
  deletion.spi_size = kSpiSizeEsp;
  deletion.spis.push_back(Bytes{std::byte(pair.inbound_spi >> 24), std::byte(pair.inbound_spi >> 16),
                                std::byte(pair.inbound_spi >> 8), std::byte(pair.inbound_spi)});
  SendProtectedInformational(sa, PayloadType::kDelete, EncodeBody(deletion));
  DeleteEspPair(pair);
}

void IkeService::Engine::SendDeletes(IsakmpSa& sa, const std::vector<InstalledEspPair>& pairs) {
  for (const InstalledEspPair& pair : pairs) {
    SendEspDelete(sa, pair);
  }
  DeletePayload deletion;
  deletion.protocol_id = kProtocolIsakmp;
  deletion.spi_size = kSpiSizeIsakmpCookiePair;
  deletion.spis.push_back(CookiePair(sa.cookie_i, sa.cookie_r));
  SendProtectedInformational(sa, PayloadType::kDelete, EncodeBody(deletion));
  IPOP_LOG(kInfo) << "ISAKMP-SA deleted " << sa.local.ToString() << "-" << sa.remote.ToString()
                  << " spi:" << CookiePairText(sa.cookie_i, sa.cookie_r);
}

}  // namespace ipop::ike
