// Quick Mode (RFC 2409 §5.5) with optional PFS, and the installation of the
// two ESP SAs it negotiates:
//
//   Initiator                        Responder
//   HDR*, HASH(1), SA, Ni, [KE], [IDci, IDcr] -->
//                          <--       HDR*, HASH(2), SA, Nr, [KE], [IDci, IDcr]
//   HDR*, HASH(3)          -->
//
// Transport mode between two hosts: the IDs are the ID_IPV4_ADDR of the two
// ISAKMP endpoints, as racoon sends them, and both ESP SAs connect the same
// two addresses. Tunnel mode between two gateways: the IDs are the
// ID_IPV4_ADDR_SUBNET of the two subnets from the tunnel policy, and the
// ESP SAs connect the gateways (see traffic_selectors.h).
#include <cstdio>
#include <utility>

#include "base/log.h"
#include "crypto/random.h"
#include "ike/engine.h"
#include "ike/lifetime.h"
#include "ike/payload_hash.h"
#include "ike/payload_identification.h"
#include "ike/payload_key_exchange.h"
#include "ike/payload_nat_oa.h"
#include "ike/payload_nonce.h"
#include "ike/payload_rules.h"
#include "ike/payload_sa.h"

namespace ipop::ike {

namespace {

constexpr size_t kNonceSize = 32;  // RFC 2409 §5 allows 8 to 256 bytes

IsakmpHeader QuickModeHeader(const IsakmpSa& sa, uint32_t message_id) {
  IsakmpHeader header;
  header.initiator_cookie = sa.cookie_i;
  header.responder_cookie = sa.cookie_r;
  header.exchange_type = ExchangeType::kQuickMode;
  header.flags = kFlagEncryption;
  header.message_id = message_id;
  return header;
}

Bytes PhaseTwoIv(const IsakmpSa& sa, uint32_t message_id) {
  return ComputePhase2Iv(sa.transform.hash, sa.phase1_last_iv, message_id,
                         crypto::IkeCipherBlockSize(sa.transform.cipher));
}

// Checks that `message` starts with a HASH payload equal to `expected`.
Result<void> CheckLeadingHash(const Message& message, ByteView expected, const char* name) {
  if (message.payloads().empty() || message.payloads().front().type != PayloadType::kHash) {
    return Fail(ErrorCode::kMalformed, std::string(name) + " must be the first payload", kNotifyPayloadMalformed);
  }
  auto hash = ParseHashPayload(message.payloads().front().body);
  if (!hash) {
    return std::unexpected(hash.error());
  }
  if (!crypto::ConstantTimeEqual(hash->data, expected)) {
    return Fail(ErrorCode::kAuthenticationFailed, std::string(name) + " does not match",
                kNotifyInvalidHashInformation);
  }
  return {};
}

// Returns the Policy of `direction` whose selector covers traffic from
// `source` to `destination`, or 0.
uint32_t FindPolicyId(const esp::KernelSeam& kernel, esp::PolicyDirection direction, Ipv4Address source,
                      Ipv4Address destination) {
  for (const esp::Policy& policy : kernel.ListPolicies()) {
    if (policy.direction == direction && policy.action == esp::PolicyAction::kIpsec &&
        policy.selector.source.Contains(source) && policy.selector.destination.Contains(destination)) {
      return policy.id;
    }
  }
  return 0;
}

// Adds the NAT-OA payloads of RFC 3947 §5.2. Each side sends the
// initiator's address as NAT-OAi and the responder's as NAT-OAr, both from
// the sender's point of view, so the initiator sends its own address first
// and the responder second. The drafts carry one NAT-OA, the sender's own
// address.
// NOTE: the one-payload draft form is tested only between two ipop-espd
// instances, not against a peer that implements only a draft.
void AddNatOa(const IsakmpSa& sa, MessageBuilder& builder) {
  const PayloadType type = NatOaPayloadType(sa.natt_version);
  if (sa.natt_version != NatTraversalVersion::kRfc3947) {
    builder.Add(type, NatOaPayload::FromIpv4(sa.local.address));
    return;
  }
  const Ipv4Address initiator = sa.initiator ? sa.local.address : sa.remote.address;
  const Ipv4Address responder = sa.initiator ? sa.remote.address : sa.local.address;
  builder.Add(type, NatOaPayload::FromIpv4(initiator));
  builder.Add(type, NatOaPayload::FromIpv4(responder));
}

// Stores the original addresses from the peer's NAT-OA payloads in
// `exchange`. Payloads with an IPv6 address are ignored.
Result<void> ReadNatOa(const IsakmpSa& sa, const Message& message, QuickModeExchange& exchange) {
  std::vector<Ipv4Address> addresses;
  for (const Payload* payload : message.FindAll(NatOaPayloadType(sa.natt_version))) {
    auto parsed = ParseNatOaPayload(payload->body);
    if (!parsed) {
      return std::unexpected(parsed.error());
    }
    if (parsed->id_type != kIdIpv4Address) {
      IPOP_LOG(kWarning) << "ignoring NAT-OA with ID type " << static_cast<int>(parsed->id_type) << " from "
                         << sa.remote.ToString();
      continue;
    }
    addresses.push_back(Ipv4Address::FromBytes(parsed->address));
  }
  if (addresses.size() == 1) {
    exchange.peer_original_address = addresses[0];
  } else if (addresses.size() == 2) {
    // NAT-OAi, NAT-OAr: the peer's own address is the one of its role.
    exchange.peer_original_address = sa.initiator ? addresses[1] : addresses[0];
    exchange.local_address_seen_by_peer = sa.initiator ? addresses[0] : addresses[1];
  } else if (addresses.size() > 2) {
    return Fail(ErrorCode::kMalformed,
                "Quick Mode carries " + std::to_string(addresses.size()) + " NAT-OA payloads, at most 2 are allowed",
                kNotifyPayloadMalformed);
  }
  if (exchange.peer_original_address) {
    IPOP_LOG(kDebug) << "NAT-OA: peer " << sa.remote.ToString() << " sends from "
                     << exchange.peer_original_address->ToString();
  }
  return {};
}

std::string SpiText(uint32_t spi) {
  char text[32];
  std::snprintf(text, sizeof(text), "%u(0x%x)", spi, spi);
  return text;
}

}  // namespace

uint32_t IkeService::Engine::NewMessageId(const IsakmpSa& sa) {
  uint32_t message_id = 0;
  while (message_id == 0 || sa.used_message_ids.contains(message_id)) {
    message_id = message_id_source_ ? message_id_source_() : crypto::RandomU32();
  }
  return message_id;
}

// ---- initiator ----

void IkeService::Engine::StartQuickMode(IsakmpSa& sa, const esp::AcquireRequest& request) {
  for (const auto& [message_id, running] : sa.quick_modes) {
    const bool in_progress = running.state == QuickModeState::kInitiatorSentHash1 ||
                             running.state == QuickModeState::kResponderSentHash2;
    if (in_progress && running.remote_address == request.destination &&
        running.outbound_policy_id == request.policy_id) {
      IPOP_LOG(kDebug) << "IPsec-SA request for " << request.destination.ToString()
                       << " ignored: a Quick Mode for it is in progress";
      return;
    }
  }
  const std::vector<esp::Policy> policies = kernel_.ListPolicies();
  const std::optional<esp::Policy> policy = FindPolicy(policies, request.policy_id);
  std::optional<TunnelSelectors> tunnel;
  uint32_t inbound_policy_id = 0;
  if (policy && policy->mode == esp::IpsecMode::kTunnel) {
    auto prepared = PrepareInitiatorTunnel(policies, *policy, sa.local.address, sa.remote.address);
    if (!prepared) {
      IPOP_LOG(kError) << "phase2 negotiation failed: " << prepared.error().detail << ". " << sa.remote.ToString();
      ++counters_.phase2_failed;
      return;
    }
    tunnel = prepared->selectors;
    inbound_policy_id = prepared->policies.inbound_policy_id;
  } else {
    inbound_policy_id =
        FindPolicyId(kernel_, esp::PolicyDirection::kIn, sa.remote.address, sa.local.address);
  }
  const Ipv4Prefix local_prefix = tunnel ? tunnel->local : Ipv4Prefix{sa.local.address, 32};
  const Ipv4Prefix remote_prefix = tunnel ? tunnel->remote : Ipv4Prefix{sa.remote.address, 32};
  const config::SainfoConfig* sainfo = config_.FindSainfo(local_prefix, remote_prefix, sa.peer_identity);
  if (sainfo == nullptr) {
    IPOP_LOG(kError) << "phase2 negotiation failed: no sainfo for " << local_prefix.ToString() << " - "
                     << remote_prefix.ToString() << ". " << sa.remote.ToString();
    ++counters_.phase2_failed;
    return;
  }
  auto spi = kernel_.AllocateSpi(sa.remote.address, sa.local.address);
  if (!spi) {
    IPOP_LOG(kError) << "phase2 negotiation failed: SPI allocation failed: " << spi.error().detail << ". "
                     << sa.remote.ToString();
    ++counters_.phase2_failed;
    return;
  }
  IPOP_LOG(kInfo) << "initiate new phase 2 negotiation: " << sa.local.ToString() << "<=>"
                  << sa.remote.ToString();
  // Interop tests match this SPI with the one the peer installs.
  IPOP_LOG(kDebug) << "proposing inbound SA spi=" << SpiText(*spi) << " to " << sa.remote.ToString();

  QuickModeExchange exchange;
  exchange.message_id = NewMessageId(sa);
  exchange.initiator = true;
  exchange.state = QuickModeState::kInitiatorSentHash1;
  exchange.local_address = sa.local.address;
  exchange.remote_address = sa.remote.address;
  exchange.tunnel = tunnel;
  exchange.outbound_policy_id = request.policy_id;
  exchange.inbound_policy_id = inbound_policy_id;
  exchange.inbound_spi = *spi;
  exchange.offer = BuildEspOffer(*sainfo, sa.nat.any_nat(), tunnel.has_value());
  exchange.nonce_i = crypto::RandomBytes(kNonceSize);
  exchange.iv = PhaseTwoIv(sa, exchange.message_id);
  exchange.started = timers_.Now();
  if (sainfo->pfs_group) {
    auto dh = crypto::DhKeyPair::Generate(*sainfo->pfs_group);
    if (!dh) {
      IPOP_LOG(kError) << "phase2 negotiation failed: DH key generation failed: " << dh.error().detail;
      ++counters_.phase2_failed;
      return;
    }
    exchange.dh = std::move(*dh);
  }

  // HDR*, HASH(1), SA, Ni, [KE], IDci, IDcr -->
  MessageBuilder builder(QuickModeHeader(sa, exchange.message_id));
  builder.AddRaw(PayloadType::kHash, Bytes(crypto::HashLength(sa.transform.hash)));
  builder.Add(EncodeEspSa(exchange.offer, exchange.inbound_spi, UdpTransportEncapsulationMode(sa.natt_version)));
  builder.Add(NoncePayload{exchange.nonce_i});
  if (exchange.dh) {
    builder.Add(KeyExchangePayload{exchange.dh->public_value()});
  }
  if (tunnel) {
    builder.Add(IdentificationPayload::FromIpv4Subnet(tunnel->local, tunnel->protocol));
    builder.Add(IdentificationPayload::FromIpv4Subnet(tunnel->remote, tunnel->protocol));
  } else {
    builder.Add(IdentificationPayload::FromIpv4Address(exchange.local_address));
    builder.Add(IdentificationPayload::FromIpv4Address(exchange.remote_address));
  }
  if (sa.natt_in_use && sa.nat.any_nat() && !tunnel) {
    // RFC 3947 §5.2: NAT-OA goes with UDP-encapsulated transport mode only.
    AddNatOa(sa, builder);
  }
  builder.ReplaceBody(0, ComputeQuickModeHash1(sa.transform.hash, sa.keys.skeyid_a, exchange.message_id,
                                               builder.EncodeChain(1)));
  auto sealed = Seal(sa, builder, exchange.iv);
  if (!sealed) {
    IPOP_LOG(kError) << "phase2 negotiation failed: encryption failed: " << sealed.error().detail;
    ++counters_.phase2_failed;
    return;
  }

  const uint32_t message_id = exchange.message_id;
  const uint64_t sa_id = sa.id;
  sa.used_message_ids.insert(message_id);
  QuickModeExchange& stored = sa.quick_modes[message_id] = std::move(exchange);
  stored.timeout_timer = timers_.Schedule(sa.remote_config->phase2_timeout,
                                          [this, sa_id, message_id] { OnPhase2Timeout(sa_id, message_id); });
  SendAndRemember(stored.last_sent, sa.local, sa.remote, std::move(*sealed), /*expect_reply=*/true,
                  *sa.remote_config, [this, sa_id, message_id] { RetransmitPhase2(sa_id, message_id); });
}

Result<void> IkeService::Engine::HandleQuickMode2(IsakmpSa& sa, QuickModeExchange& exchange,
                                                  const Message& encrypted) {
  Bytes next_iv;
  auto message = Open(sa, encrypted, exchange.iv, next_iv);
  if (!message) {
    return std::unexpected(message.error());
  }
  if (auto checked = CheckPayloads(*message, kQuickModeRule); !checked) {
    return checked;
  }
  const Payload& hash_payload = message->payloads().front();
  const Bytes expected = ComputeQuickModeHash2(sa.transform.hash, sa.keys.skeyid_a, exchange.message_id,
                                               exchange.nonce_i, message->BytesAfter(hash_payload));
  if (auto hashed = CheckLeadingHash(*message, expected, "HASH(2)"); !hashed) {
    return hashed;
  }
  auto sa_payload = ParseRequired(*message, PayloadType::kSa, ParseSaPayload);
  if (!sa_payload) {
    return std::unexpected(sa_payload.error());
  }
  auto nonce = ParseRequired(*message, PayloadType::kNonce, ParseNoncePayload);
  if (!nonce) {
    return std::unexpected(nonce.error());
  }
  exchange.iv = std::move(next_iv);

  auto offered = DecodeEspSa(*sa_payload);
  const EspTransform* ours = nullptr;
  if (offered && offered->size() == 1) {
    for (const EspTransform& mine : exchange.offer) {
      if (SameEspAlgorithms(mine, offered->front().value)) {
        ours = &mine;
        break;
      }
    }
  }
  if (ours == nullptr) {
    FailQuickMode(sa, exchange, "the responder's SA is not one transform we offered");
    return {};
  }
  exchange.chosen = *ours;
  exchange.outbound_spi = offered->front().spi;
  if (auto obeyed = ObeyResponderLifetime(sa, *message, exchange); !obeyed) {
    FailQuickMode(sa, exchange, "the responder's RESPONDER-LIFETIME is invalid: " + obeyed.error().detail);
    return {};
  }
  if (exchange.tunnel) {
    if (auto returned = CheckReturnedTunnelIds(*message, *exchange.tunnel); !returned) {
      FailQuickMode(sa, exchange, "the responder's IDs are invalid: " + returned.error().detail);
      return {};
    }
  }
  if (exchange.chosen.udp_encapsulated && !exchange.chosen.tunnel) {
    if (auto read = ReadNatOa(sa, *message, exchange); !read) {
      FailQuickMode(sa, exchange, "the responder's NAT-OA is invalid: " + read.error().detail);
      return {};
    }
  }
  exchange.nonce_r = nonce->data;
  if (exchange.dh) {
    const Payload* ke_payload = message->Find(PayloadType::kKeyExchange);
    auto ke = ke_payload ? ParseKeyExchangePayload(ke_payload->body)
                         : Result<KeyExchangePayload>(Fail(ErrorCode::kMalformed, "KE payload missing with PFS"));
    if (!ke) {
      FailQuickMode(sa, exchange, "PFS needs the responder's KE: " + ke.error().detail);
      return {};
    }
    auto shared = exchange.dh->ComputeShared(ke->public_value);
    if (!shared) {
      FailQuickMode(sa, exchange, "PFS key exchange failed: " + shared.error().detail);
      return {};
    }
    exchange.pfs_shared = std::move(*shared);
  }

  // HDR*, HASH(3) -->
  MessageBuilder builder(QuickModeHeader(sa, exchange.message_id));
  builder.Add(HashPayload{ComputeQuickModeHash3(sa.transform.hash, sa.keys.skeyid_a, exchange.message_id,
                                                exchange.nonce_i, exchange.nonce_r)});
  auto sealed = Seal(sa, builder, exchange.iv);
  if (!sealed) {
    FailQuickMode(sa, exchange, "encryption failed: " + sealed.error().detail);
    return {};
  }
  // HASH(3) expects no reply; a repeated HASH(2) gets it again.
  SendAndRemember(exchange.last_sent, sa.local, sa.remote, std::move(*sealed), /*expect_reply=*/false,
                  *sa.remote_config, nullptr);
  return InstallEspSas(sa, exchange);
}

// ---- responder ----

Result<void> IkeService::Engine::RespondToQuickMode1(IsakmpSa& sa, const Message& encrypted,
                                                     ByteView datagram) {
  const uint32_t message_id = encrypted.header().message_id;
  Bytes next_iv;
  auto message = Open(sa, encrypted, PhaseTwoIv(sa, message_id), next_iv);
  if (!message) {
    return std::unexpected(message.error());
  }
  if (auto checked = CheckPayloads(*message, kQuickModeRule); !checked) {
    return checked;
  }
  const Payload& hash_payload = message->payloads().front();
  const Bytes expected = ComputeQuickModeHash1(sa.transform.hash, sa.keys.skeyid_a, message_id,
                                               message->BytesAfter(hash_payload));
  if (auto hashed = CheckLeadingHash(*message, expected, "HASH(1)"); !hashed) {
    return hashed;
  }
  sa.used_message_ids.insert(message_id);

  auto sa_payload = ParseRequired(*message, PayloadType::kSa, ParseSaPayload);
  if (!sa_payload) {
    return std::unexpected(sa_payload.error());
  }
  auto nonce = ParseRequired(*message, PayloadType::kNonce, ParseNoncePayload);
  if (!nonce) {
    return std::unexpected(nonce.error());
  }

  // IDci is the initiator's side, so it names the peer and IDcr names us.
  // Without IDs the selectors are the two ISAKMP addresses (RFC 2409 §5.5).
  Ipv4Prefix remote_prefix{sa.remote.address, 32};
  Ipv4Prefix local_prefix{sa.local.address, 32};
  uint8_t id_protocol = 0;
  const std::vector<const Payload*> ids = message->FindAll(PayloadType::kIdentification);
  if (ids.size() != 0 && ids.size() != 2) {
    return Fail(ErrorCode::kMalformed, "Quick Mode carries " + std::to_string(ids.size()) + " ID payloads",
                kNotifyInvalidIdInformation);
  }
  if (ids.size() == 2) {
    auto id_ci = ParseIdentificationPayload(ids[0]->body);
    auto id_cr = ParseIdentificationPayload(ids[1]->body);
    if (!id_ci || !id_cr) {
      return std::unexpected(!id_ci ? id_ci.error() : id_cr.error());
    }
    auto remote_selector = id_ci->ToIpv4Prefix();
    auto local_selector = id_cr->ToIpv4Prefix();
    if (!remote_selector || !local_selector) {
      return std::unexpected(!remote_selector ? remote_selector.error() : local_selector.error());
    }
    remote_prefix = *remote_selector;
    local_prefix = *local_selector;
    id_protocol = id_ci->protocol_id;
  }
  IPOP_LOG(kInfo) << "respond new phase 2 negotiation: " << sa.local.ToString() << "<=>" << sa.remote.ToString();

  const config::SainfoConfig* sainfo = config_.FindSainfo(local_prefix, remote_prefix, sa.peer_identity);
  auto offered = DecodeEspSa(*sa_payload);
  Result<EspTransform> chosen = Fail(ErrorCode::kNoProposalChosen,
                                     "no sainfo for " + local_prefix.ToString() + " - " + remote_prefix.ToString(),
                                     kNotifyNoProposalChosen);
  // The initiator's first transform sets the mode; our policies must
  // cover the subnets it proposes for tunnel mode.
  const bool tunnel = offered && offered->front().value.tunnel;
  const TunnelSelectors selectors{.local = local_prefix,
                                  .remote = remote_prefix,
                                  .protocol = id_protocol,
                                  .local_gateway = sa.local.address,
                                  .remote_gateway = sa.remote.address};
  Result<TunnelPolicies> tunnel_policies = TunnelPolicies{};
  if (tunnel) {
    tunnel_policies = MatchTunnelPolicies(kernel_.ListPolicies(), selectors);
  }
  if (!offered) {
    chosen = std::unexpected(offered.error());
  } else if (!tunnel_policies) {
    chosen = std::unexpected(tunnel_policies.error());
  } else if (sainfo != nullptr) {
    std::vector<EspTransform> values;
    for (const OfferedEspTransform& entry : *offered) {
      values.push_back(entry.value);
    }
    chosen = SelectEsp(values, *sainfo, sa.nat.any_nat(), tunnel, sa.remote_config->proposal_check);
  }
  if (!chosen) {
    ++counters_.phase2_failed;
    IPOP_LOG(kError) << "no proposal chosen for phase 2 with " << sa.remote.ToString() << ": "
                     << chosen.error().detail;
    NotificationPayload notification;
    notification.protocol_id = kProtocolEsp;
    notification.notify_type = kNotifyNoProposalChosen;
    SendProtectedInformational(sa, PayloadType::kNotification, EncodeBody(notification));
    return {};
  }
  const OfferedEspTransform* chosen_offer = nullptr;
  for (const OfferedEspTransform& entry : *offered) {
    if (SameEspAlgorithms(entry.value, *chosen)) {
      chosen_offer = &entry;
      break;
    }
  }

  QuickModeExchange exchange;
  exchange.message_id = message_id;
  exchange.initiator = false;
  exchange.state = QuickModeState::kResponderSentHash2;
  exchange.local_address = sa.local.address;
  exchange.remote_address = sa.remote.address;
  if (tunnel) {
    exchange.tunnel = selectors;
    exchange.outbound_policy_id = tunnel_policies->outbound_policy_id;
    exchange.inbound_policy_id = tunnel_policies->inbound_policy_id;
  } else {
    exchange.outbound_policy_id = FindPolicyId(kernel_, esp::PolicyDirection::kOut, sa.local.address,
                                               sa.remote.address);
    exchange.inbound_policy_id = FindPolicyId(kernel_, esp::PolicyDirection::kIn, sa.remote.address,
                                              sa.local.address);
  }
  exchange.chosen = *chosen;
  exchange.outbound_spi = chosen_offer->spi;
  if (exchange.chosen.udp_encapsulated && !tunnel) {
    if (auto read = ReadNatOa(sa, *message, exchange); !read) {
      return read;
    }
  }
  exchange.nonce_i = nonce->data;
  exchange.nonce_r = crypto::RandomBytes(kNonceSize);
  exchange.started = timers_.Now();
  if (exchange.chosen.pfs_group) {
    const Payload* ke_payload = message->Find(PayloadType::kKeyExchange);
    if (ke_payload == nullptr) {
      return Fail(ErrorCode::kMalformed, "the proposal has a PFS group but the message has no KE payload",
                  kNotifyPayloadMalformed);
    }
    auto ke = ParseKeyExchangePayload(ke_payload->body);
    if (!ke) {
      return std::unexpected(ke.error());
    }
    auto dh = crypto::DhKeyPair::Generate(*exchange.chosen.pfs_group);
    if (!dh) {
      return Fail(ErrorCode::kSystem, "DH key generation failed: " + dh.error().detail);
    }
    auto shared = dh->ComputeShared(ke->public_value);
    if (!shared) {
      return Fail(ErrorCode::kMalformed, "PFS key exchange failed: " + shared.error().detail,
                  kNotifyInvalidKeyInformation);
    }
    exchange.pfs_shared = std::move(*shared);
    exchange.dh = std::move(*dh);
  }
  auto spi = kernel_.AllocateSpi(sa.remote.address, sa.local.address);
  if (!spi) {
    ++counters_.phase2_failed;
    IPOP_LOG(kError) << "phase2 negotiation failed: SPI allocation failed: " << spi.error().detail << ". "
                     << sa.remote.ToString();
    return {};
  }
  exchange.inbound_spi = *spi;

  // <-- HDR*, HASH(2), SA, Nr, [KE], [IDci, IDcr]
  MessageBuilder builder(QuickModeHeader(sa, message_id));
  builder.AddRaw(PayloadType::kHash, Bytes(crypto::HashLength(sa.transform.hash)));
  builder.Add(EncodeEspReply(*chosen_offer, exchange.inbound_spi));
  builder.Add(NoncePayload{exchange.nonce_r});
  if (exchange.dh) {
    builder.Add(KeyExchangePayload{exchange.dh->public_value()});
  }
  for (const Payload* id : ids) {
    builder.AddRaw(PayloadType::kIdentification, id->body);
  }
  if (exchange.chosen.udp_encapsulated && !tunnel) {
    // RFC 3947 §5.2: the responder sends NAT-OA when it chose
    // UDP-encapsulated transport mode.
    AddNatOa(sa, builder);
  }
  if (exchange.chosen.lifetime_shortened) {
    builder.Add(MakeResponderLifetime(exchange));
  }
  builder.ReplaceBody(0, ComputeQuickModeHash2(sa.transform.hash, sa.keys.skeyid_a, message_id,
                                               exchange.nonce_i, builder.EncodeChain(1)));
  exchange.iv = std::move(next_iv);
  auto sealed = Seal(sa, builder, exchange.iv);
  if (!sealed) {
    return Fail(ErrorCode::kSystem, "encryption failed: " + sealed.error().detail);
  }

  if (auto generated = GeneratePolicies(sa, exchange, local_prefix, remote_prefix); !generated) {
    return generated;
  }
  const uint64_t sa_id = sa.id;
  QuickModeExchange& stored = sa.quick_modes[message_id] = std::move(exchange);
  stored.last_received.assign(datagram.begin(), datagram.end());
  stored.timeout_timer = timers_.Schedule(sa.remote_config->phase2_timeout,
                                          [this, sa_id, message_id] { OnPhase2Timeout(sa_id, message_id); });
  SendAndRemember(stored.last_sent, sa.local, sa.remote, std::move(*sealed), /*expect_reply=*/true,
                  *sa.remote_config, [this, sa_id, message_id] { RetransmitPhase2(sa_id, message_id); });
  InstallInboundEspEarly(sa, stored);
  return {};
}

Result<void> IkeService::Engine::HandleQuickMode3(IsakmpSa& sa, QuickModeExchange& exchange,
                                                  const Message& encrypted) {
  Bytes next_iv;
  auto message = Open(sa, encrypted, exchange.iv, next_iv);
  if (!message) {
    return std::unexpected(message.error());
  }
  if (auto checked = CheckPayloads(*message, kQuickModeHash3Rule); !checked) {
    return checked;
  }
  const Bytes expected = ComputeQuickModeHash3(sa.transform.hash, sa.keys.skeyid_a, exchange.message_id,
                                               exchange.nonce_i, exchange.nonce_r);
  if (auto hashed = CheckLeadingHash(*message, expected, "HASH(3)"); !hashed) {
    return hashed;
  }
  exchange.iv = std::move(next_iv);
  CancelRetransmission(exchange.last_sent);
  return InstallEspSas(sa, exchange);
}

// ---- dispatch, installation, timers ----

void IkeService::Engine::FollowPeerEndpoint(IsakmpSa& sa, const Endpoint& local, const Endpoint& remote) {
  if (!sa.natt_in_use || local.port != sa.local.port || remote == sa.remote) {
    return;
  }
  IPOP_LOG(kInfo) << "NAT mapping of peer changed: " << sa.remote.ToString() << " -> " << remote.ToString()
                  << " spi:" << CookiePairText(sa.cookie_i, sa.cookie_r);
  sa.remote = remote;
  for (InstalledEspPair& pair : esp_pairs_) {
    if (pair.isakmp_sa_id == sa.id) {
      pair.remote_port = remote.port;
    }
  }
}

void IkeService::Engine::HandlePeerEndpointChange(const esp::SaEndpointChange& change) {
  for (auto& [id, sa] : sas_) {
    if (sa->state == Phase1State::kEstablished && sa->remote == change.old_peer) {
      FollowPeerEndpoint(*sa, sa->local, change.new_peer);
    }
  }
}

void IkeService::Engine::HandleQuickMode(IsakmpSa& sa, const Message& message, ByteView datagram,
                                         const Endpoint& local, const Endpoint& remote) {
  const uint32_t message_id = message.header().message_id;
  if (message_id == 0 || !message.header().encrypted()) {
    Drop("malformed message", remote, "Quick Mode message without message ID or encryption");
    return;
  }
  // Replies go to the endpoint the message came from, so after a NAT
  // mapping change the SA moves there while the message is handled, and
  // stays there only when the message authenticates.
  const Endpoint previous_remote = sa.remote;
  const bool endpoint_changed = sa.natt_in_use && local.port == sa.local.port && remote != sa.remote;
  if (endpoint_changed) {
    sa.remote = remote;
  }
  const bool authenticated = DispatchQuickMode(sa, message, datagram, remote);
  if (authenticated) {
    NotePeerAlive(sa);
  }
  if (endpoint_changed) {
    sa.remote = previous_remote;
    if (authenticated) {
      FollowPeerEndpoint(sa, local, remote);
    }
  }
}

bool IkeService::Engine::DispatchQuickMode(IsakmpSa& sa, const Message& message, ByteView datagram,
                                           const Endpoint& remote) {
  const uint32_t message_id = message.header().message_id;
  auto found = sa.quick_modes.find(message_id);
  Result<void> handled;
  if (found == sa.quick_modes.end()) {
    if (sa.used_message_ids.contains(message_id)) {
      Drop("retransmitted peer message", remote, "Quick Mode message ID already used");
      return false;
    }
    handled = RespondToQuickMode1(sa, message, datagram);
  } else {
    QuickModeExchange& exchange = found->second;
    // HASH(3) ends Quick Mode: a repeated one gets no reply.
    const bool resend = exchange.initiator || exchange.state != QuickModeState::kEstablished;
    if (AnswerDuplicate(exchange.last_received, exchange.last_sent, datagram, remote, resend)) {
      return false;
    }
    if (exchange.state == QuickModeState::kInitiatorSentHash1) {
      handled = HandleQuickMode2(sa, exchange, message);
    } else if (exchange.state == QuickModeState::kResponderSentHash2) {
      handled = HandleQuickMode3(sa, exchange, message);
    } else {
      Drop("invalid state", remote, "Quick Mode message for a finished exchange");
      return false;
    }
    if (handled) {
      exchange.last_received.assign(datagram.begin(), datagram.end());
    }
  }
  if (!handled) {
    const Error& error = handled.error();
    Drop(error.code == ErrorCode::kAuthenticationFailed ? "authentication failed" : "malformed message", remote,
         error.detail);
    return false;
  }
  return true;
}

esp::EspSaConfig IkeService::Engine::MakeEspSaConfig(const IsakmpSa& sa, const QuickModeExchange& exchange,
                                                    bool inbound) {
  const EspTransform& chosen = exchange.chosen;
  const size_t cipher_key_length = crypto::EspCipherKeyLength(chosen.cipher, chosen.key_bits);
  const size_t integrity_key_length = crypto::EspIntegrityKeyLength(chosen.integrity);

  esp::EspSaConfig config;
  config.spi = inbound ? exchange.inbound_spi : exchange.outbound_spi;
  config.source = inbound ? exchange.remote_address : exchange.local_address;
  config.destination = inbound ? exchange.local_address : exchange.remote_address;
  config.inbound = inbound;
  config.mode = chosen.tunnel ? esp::IpsecMode::kTunnel : esp::IpsecMode::kTransport;
  config.cipher = chosen.cipher;
  config.aes_key_bits = chosen.cipher == crypto::EspCipher::k3desCbc ? 0 : chosen.key_bits;
  config.integrity = chosen.integrity;
  // KEYMAT for each direction uses the SPI its receiver chose (RFC 2409 §5.5).
  crypto::SecretBytes keymat =
      ComputeKeymat(sa.transform.hash, sa.keys.skeyid_d, exchange.pfs_shared.view(), kKeymatProtocolEsp,
                    config.spi, exchange.nonce_i, exchange.nonce_r, cipher_key_length + integrity_key_length);
  config.cipher_key = crypto::SecretBytes::CopyOf(keymat.view().first(cipher_key_length));
  config.integrity_key = crypto::SecretBytes::CopyOf(keymat.view().subspan(cipher_key_length));
  if (chosen.udp_encapsulated) {
    config.encapsulation = inbound ? esp::UdpEncapsulation{sa.remote.port, sa.local.port}
                                   : esp::UdpEncapsulation{sa.local.port, sa.remote.port};
    if (inbound && !chosen.tunnel) {
      // The peer's transport checksums cover the addresses it used, which
      // the NAT rewrote (RFC 3948 §3.1.2).
      config.original_source = exchange.peer_original_address;
      config.original_destination = exchange.local_address_seen_by_peer;
    }
  }
  // The soft limits match the engine's own rekey timer (rekey.cc), so a
  // kernel soft EXPIRE and the timer start the same single rekey.
  config.lifetime.hard_time = chosen.lifetime;
  config.lifetime.soft_time = std::chrono::ceil<std::chrono::seconds>(exchange.rekey_delay);
  config.lifetime.hard_bytes = chosen.lifetime_kilobytes * 1024;
  config.lifetime.soft_bytes = RekeyBytes(chosen.lifetime_kilobytes, exchange.initiator);
  config.policy_id = inbound ? exchange.inbound_policy_id : exchange.outbound_policy_id;
  return config;
}

bool IkeService::Engine::InstallInboundEspEarly(IsakmpSa& sa, QuickModeExchange& exchange) {
  PrepareEspLifetime(exchange);
  if (auto added = kernel_.AddSa(MakeEspSaConfig(sa, exchange, /*inbound=*/true)); !added) {
    FailQuickMode(sa, exchange, "installing the inbound SA failed: " + added.error().detail);
    return false;
  }
  exchange.inbound_installed = true;
  IPOP_LOG(kDebug) << "inbound SA spi=" << SpiText(exchange.inbound_spi) << " from " << sa.remote.ToString()
                   << " installed ahead of HASH(3)";
  return true;
}

void IkeService::Engine::RemoveEarlyInboundEsp(QuickModeExchange& exchange) {
  ReleaseGeneratedPolicies(exchange.generated_policy_ids);
  if (!exchange.inbound_installed) {
    return;
  }
  exchange.inbound_installed = false;
  if (auto removed = kernel_.DeleteSa(exchange.inbound_spi, exchange.local_address); !removed) {
    IPOP_LOG(kWarning) << "removing the unfinished inbound SA spi=" << SpiText(exchange.inbound_spi)
                       << " failed: " << removed.error().detail;
  }
}

Result<void> IkeService::Engine::InstallEspSas(IsakmpSa& sa, QuickModeExchange& exchange) {
  PrepareEspLifetime(exchange);
  for (bool inbound : {true, false}) {
    const uint32_t spi = inbound ? exchange.inbound_spi : exchange.outbound_spi;
    if (!(inbound && exchange.inbound_installed)) {
      if (auto added = kernel_.AddSa(MakeEspSaConfig(sa, exchange, inbound)); !added) {
        // FailQuickMode removes an inbound SA added just before.
        FailQuickMode(sa, exchange, std::string("installing the ") + (inbound ? "inbound" : "outbound") +
                                        " SA failed: " + added.error().detail);
        return {};
      }
      if (inbound) {
        exchange.inbound_installed = true;
      }
    }
    IPOP_LOG(kInfo) << "IPsec-SA established: ESP/" << (exchange.chosen.tunnel ? "Tunnel " : "Transport ")
                    << sa.local.ToString() << "->"
                    << sa.remote.ToString() << " spi=" << SpiText(spi);
    if (key_log_ != nullptr) {
      key_log_->AddEspSa(MakeEspSaConfig(sa, exchange, inbound));
    }
  }
  exchange.inbound_installed = false;  // now owned by the installed pair
  InstalledEspPair pair;
  pair.isakmp_sa_id = sa.id;
  pair.inbound_spi = exchange.inbound_spi;
  pair.outbound_spi = exchange.outbound_spi;
  pair.local = exchange.local_address;
  pair.remote = exchange.remote_address;
  pair.remote_port = sa.remote.port;
  pair.peer_behind_nat = sa.nat.peer_behind_nat;
  pair.encapsulation_port = static_cast<uint16_t>(exchange.chosen.udp_encapsulated ? sa.remote.port : 0);
  esp_pairs_.push_back(pair);
  pair_details_[exchange.inbound_spi] = PairDetails{
      .local_id = exchange.tunnel ? exchange.tunnel->local : Ipv4Prefix{exchange.local_address, 32},
      .remote_id = exchange.tunnel ? exchange.tunnel->remote : Ipv4Prefix{exchange.remote_address, 32},
      .generated_policy_ids = std::exchange(exchange.generated_policy_ids, {})};
  TrackNewEspPair(esp_pairs_.back(), exchange);
  ++counters_.phase2_established;
  Transition(sa, exchange, QuickModeState::kEstablished);
  IPOP_LOG(kDebug) << "Quick Mode with " << sa.remote.ToString() << " chose " << DescribeEsp(exchange.chosen);
  exchange.dh.reset();
  exchange.pfs_shared = crypto::SecretBytes();
  RetireQuickMode(sa, exchange);
  return {};
}

void IkeService::Engine::FailQuickMode(IsakmpSa& sa, QuickModeExchange& exchange, const std::string& reason) {
  ++counters_.phase2_failed;
  IPOP_LOG(kError) << "phase2 negotiation failed: " << reason << ". " << sa.remote.ToString();
  RemoveEarlyInboundEsp(exchange);
  CancelRetransmission(exchange.last_sent);
  Transition(sa, exchange, QuickModeState::kDead);
  exchange.dh.reset();
  exchange.pfs_shared = crypto::SecretBytes();
  // TODO(ike): release the inbound SPI reserved for this exchange; the
  // kernel seam has no call for that yet.
  RetireQuickMode(sa, exchange);
}

void IkeService::Engine::RetireQuickMode(IsakmpSa& sa, QuickModeExchange& exchange) {
  timers_.Cancel(exchange.timeout_timer);
  const uint64_t sa_id = sa.id;
  const uint32_t message_id = exchange.message_id;
  exchange.timeout_timer = timers_.Schedule(sa.remote_config->phase2_timeout,
                                            [this, sa_id, message_id] { OnPhase2Timeout(sa_id, message_id); });
}

void IkeService::Engine::OnPhase2Timeout(uint64_t sa_id, uint32_t message_id) {
  IsakmpSa* sa = FindSaById(sa_id);
  if (sa == nullptr) {
    return;
  }
  auto found = sa->quick_modes.find(message_id);
  if (found == sa->quick_modes.end()) {
    return;
  }
  QuickModeExchange& exchange = found->second;
  exchange.timeout_timer = 0;
  if (exchange.state == QuickModeState::kEstablished || exchange.state == QuickModeState::kDead) {
    // Retirement: the message ID stays in used_message_ids.
    CancelRetransmission(exchange.last_sent);
    sa->quick_modes.erase(found);
    return;
  }
  ++counters_.phase2_failed;
  IPOP_LOG(kError) << "phase2 negotiation failed due to time up. " << sa->remote.ToString();
  RemoveEarlyInboundEsp(exchange);
  CancelRetransmission(exchange.last_sent);
  sa->quick_modes.erase(found);
}

void IkeService::Engine::RetransmitPhase2(uint64_t sa_id, uint32_t message_id) {
  IsakmpSa* sa = FindSaById(sa_id);
  if (sa == nullptr) {
    return;
  }
  auto found = sa->quick_modes.find(message_id);
  if (found == sa->quick_modes.end()) {
    return;
  }
  Retransmit(found->second.last_sent, *sa->remote_config,
             [this, sa_id, message_id] { RetransmitPhase2(sa_id, message_id); });
}

}  // namespace ipop::ike
