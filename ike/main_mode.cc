// Main Mode messages 1 to 4 (RFC 2409 §5.1), the IKE message encryption of
// RFC 2409 Appendix B, and NAT discovery (RFC 3947 §3). Messages 5 and 6
// are in main_mode_auth.cc.
//
//   Initiator                        Responder
//   HDR, SA, VID           -->
//                          <--       HDR, SA, VID
//   HDR, KE, Ni, NAT-D     -->
//                          <--       HDR, KE, Nr, CR, NAT-D
//   HDR*, IDii, CERT, SIG_I, CR -->
//                          <--       HDR*, IDir, CERT, SIG_R
#include <algorithm>

#include "base/log.h"
#include "crypto/ike_cipher.h"
#include "crypto/random.h"
#include "ike/engine.h"
#include "ike/payload_certificate_request.h"
#include "ike/payload_key_exchange.h"
#include "ike/payload_nat_d.h"
#include "ike/payload_nonce.h"
#include "ike/payload_notification.h"
#include "ike/payload_rules.h"
#include "ike/payload_sa.h"
#include "ike/payload_vendor_id.h"
#include "ike/phase1_common.h"
#include "ike/vendor_ids.h"

namespace ipop::ike {

namespace {

size_t CipherKeyLength(const Phase1Transform& transform) {
  // 3DES takes three 8-byte keys (RFC 2451 §2.2); AES the negotiated length.
  return transform.cipher == crypto::IkeCipher::k3desCbc ? 24 : transform.key_bits / 8;
}

IsakmpHeader MainModeHeader(const IsakmpSa& sa) {
  IsakmpHeader header;
  header.initiator_cookie = sa.cookie_i;
  header.responder_cookie = sa.cookie_r;
  header.exchange_type = ExchangeType::kIdentityProtection;
  header.message_id = kPhase1MessageId;
  return header;
}

}  // namespace

// ---- encryption, RFC 2409 Appendix B ----

Result<Bytes> IkeService::Engine::Seal(const IsakmpSa& sa, const MessageBuilder& builder, Bytes& iv) {
  const size_t block = crypto::IkeCipherBlockSize(sa.transform.cipher);
  const Bytes plaintext = builder.BuildBody(block);
  auto ciphertext = crypto::IkeCbcEncrypt(sa.transform.cipher, sa.keys.encryption_key.view(), iv, plaintext);
  if (!ciphertext) {
    return std::unexpected(ciphertext.error());
  }
  // The next IV is the last ciphertext block of this message.
  iv.assign(ciphertext->end() - static_cast<std::ptrdiff_t>(block), ciphertext->end());
  return builder.BuildEncrypted(*ciphertext);
}

Result<Message> IkeService::Engine::Open(const IsakmpSa& sa, const Message& message, ByteView iv,
                                         Bytes& next_iv) {
  if (!sa.keys_ready) {
    return Fail(ErrorCode::kInvalidState, "encrypted message before the keys exist");
  }
  const size_t block = crypto::IkeCipherBlockSize(sa.transform.cipher);
  const ByteView ciphertext = message.body();
  if (ciphertext.empty() || ciphertext.size() % block != 0) {
    return Fail(ErrorCode::kMalformed, "encrypted body of " + std::to_string(ciphertext.size()) +
                                           " bytes is not a whole number of " + std::to_string(block) +
                                           "-byte blocks",
                kNotifyPayloadMalformed);
  }
  auto plaintext = crypto::IkeCbcDecrypt(sa.transform.cipher, sa.keys.encryption_key.view(), iv, ciphertext);
  if (!plaintext) {
    return Fail(ErrorCode::kAuthenticationFailed, "decryption failed: " + plaintext.error().detail);
  }
  auto decrypted = ParseDecryptedMessage(message, *plaintext);
  crypto::Wipe(*plaintext);
  if (!decrypted) {
    // Wrong keys or a modified ciphertext both show up as a broken chain.
    return Fail(ErrorCode::kAuthenticationFailed,
                "decrypted message is malformed (wrong key or modified in transit): " +
                    decrypted.error().detail);
  }
  next_iv.assign(ciphertext.end() - static_cast<std::ptrdiff_t>(block), ciphertext.end());
  return decrypted;
}

// ---- dispatch ----

void IkeService::Engine::HandleMainMode(const Message& message, const Endpoint& local, const Endpoint& remote,
                                        ByteView datagram) {
  const IsakmpHeader& header = message.header();
  if (header.message_id != kPhase1MessageId) {
    Drop("invalid message ID", remote, "Main Mode message with a non-zero message ID");
    return;
  }
  IsakmpSa* sa = FindSa(header.initiator_cookie);
  if (sa == nullptr) {
    if (CookieValue(header.responder_cookie) != 0 || header.encrypted()) {
      Drop("unknown cookie", remote, "no ISAKMP SA " + CookiePairText(header.initiator_cookie, header.responder_cookie));
      return;
    }
    auto responded = RespondToMessage1(message, local, remote);
    if (!responded) {
      Drop(DropReasonFor(responded.error()), remote, responded.error().detail);
    }
    return;
  }
  // Message 6 ends Main Mode: a repeated one gets no reply.
  const bool resend = !(sa->initiator && sa->state == Phase1State::kEstablished);
  if (AnswerDuplicate(sa->last_received, sa->last_sent, datagram, remote, resend)) {
    return;
  }
  if (!AcceptPhase1Peer(*sa, header, local, remote)) {
    return;
  }

  Result<void> handled;
  switch (sa->state) {
    case Phase1State::kInitiatorSentSa:
      handled = HandleMessage2(*sa, message);
      break;
    case Phase1State::kResponderSentSa:
      handled = HandleMessage3(*sa, message);
      break;
    case Phase1State::kInitiatorSentKe:
      handled = HandleMessage4(*sa, message);
      break;
    case Phase1State::kResponderSentKe:
      handled = HandleMessage5(*sa, message);
      break;
    case Phase1State::kInitiatorSentAuth:
      handled = HandleMessage6(*sa, message);
      break;
    case Phase1State::kEstablished:
    case Phase1State::kDead:
    case Phase1State::kAggressiveInitiatorSent1:
    case Phase1State::kAggressiveResponderSent2:
      Drop("invalid state", remote, "Main Mode message for an ISAKMP SA that is " +
                                        std::string(Phase1StateName(sa->state)));
      return;
  }
  FinishPhase1Step(*sa, handled, remote, datagram);
}

bool IkeService::Engine::AcceptPhase1Peer(IsakmpSa& sa, const IsakmpHeader& header, const Endpoint& local,
                                          const Endpoint& remote) {
  const bool awaiting_responder_cookie =
      sa.state == Phase1State::kInitiatorSentSa || sa.state == Phase1State::kAggressiveInitiatorSent1;
  if (!awaiting_responder_cookie && sa.cookie_r != header.responder_cookie) {
    Drop("unknown cookie", remote, "responder cookie does not match ISAKMP SA " +
                                       CookiePairText(sa.cookie_i, sa.cookie_r));
    return false;
  }
  if (remote.address != sa.remote.address) {
    Drop("unknown cookie", remote, "message for an ISAKMP SA with another peer");
    return false;
  }
  // After NAT-T moved the exchange to port 4500, the peer's later messages
  // arrive there (RFC 3947 §4).
  if (sa.natt_in_use && local.port == kNatTraversalPort) {
    sa.local = local;
    sa.remote = remote;
  }
  return true;
}

void IkeService::Engine::FinishPhase1Step(IsakmpSa& sa, const Result<void>& handled, const Endpoint& remote,
                                          ByteView datagram) {
  if (!handled) {
    Drop(DropReasonFor(handled.error()), remote, handled.error().detail);
    sa.last_error = handled.error().detail;
    return;
  }
  if (sa.state != Phase1State::kDead) {
    sa.last_received.assign(datagram.begin(), datagram.end());
  }
}

Result<const config::RemoteConfig*> IkeService::Engine::AdmitResponder(const Endpoint& remote,
                                                                      config::ExchangeMode mode) {
  const config::RemoteConfig* remote_config = config_.FindRemote(remote.address);
  if (remote_config == nullptr) {
    return Fail(ErrorCode::kNotFound, "no remote section matches " + remote.address.ToString());
  }
  if (std::ranges::find(remote_config->exchange_modes, mode) == remote_config->exchange_modes.end()) {
    const char* name = mode == config::ExchangeMode::kAggressive ? "Aggressive Mode" : "Main Mode";
    return Fail(ErrorCode::kUnsupported, std::string("exchange mode ") + name +
                                             " is not allowed by exchange_mode of remote " + remote_config->origin);
  }
  const size_t half_open = static_cast<size_t>(std::ranges::count_if(sas_, [](const auto& entry) {
    const Phase1State state = entry.second->state;
    return state == Phase1State::kResponderSentSa || state == Phase1State::kResponderSentKe ||
           state == Phase1State::kAggressiveResponderSent2;
  }));
  if (half_open >= kMaxHalfOpenResponderSas) {
    return Fail(ErrorCode::kSystem, "too many half-open ISAKMP SAs (" + std::to_string(half_open) + ")");
  }
  return remote_config;
}

// ---- vendor IDs and NAT-D ----

void IkeService::Engine::ReadVendorIds(IsakmpSa& sa, const Message& message) {
  std::vector<KnownVendorId> received;
  for (const Payload* payload : message.FindAll(PayloadType::kVendorId)) {
    const KnownVendorId id = RecognizeVendorId(payload->body);
    if (id == KnownVendorId::kUnknown) {
      IPOP_LOG(kDebug) << "ignoring unknown Vendor ID " << ToHex(payload->body);
      continue;
    }
    IPOP_LOG(kInfo) << "received Vendor ID: " << VendorIdName(id);
    if (id == KnownVendorId::kDpd) {
      sa.peer_dpd = true;
    }
    if (id == KnownVendorId::kIkeFragmentation) {
      sa.peer_fragmentation = true;
    }
    received.push_back(id);
  }
  const KnownVendorId selected = SelectNatTraversalVendorId(received);
  sa.peer_natt = NatTraversalVersionOf(selected);
  // The initiator offered every version it supports in message 1, so it takes
  // the one the responder answered with.
  sa.natt_in_use = sa.remote_config->nat_traversal != config::NatTraversal::kOff &&
                   sa.peer_natt != NatTraversalVersion::kNone;
  if (sa.natt_in_use) {
    sa.natt_version = sa.peer_natt;
    sa.natt_vendor_id = selected;
    IPOP_LOG(kInfo) << "Selected NAT-T version: " << VendorIdName(selected);
  }
}

void IkeService::Engine::AddVendorIds(MessageBuilder& builder, const config::RemoteConfig& remote_config) {
  if (remote_config.nat_traversal != config::NatTraversal::kOff) {
    for (KnownVendorId id : kNatTraversalVendorIdsSent) {
      builder.Add(VendorIdPayload{VendorIdBytes(id)});
    }
  }
  if (remote_config.dpd) {
    builder.Add(VendorIdPayload{VendorIdBytes(KnownVendorId::kDpd)});
  }
  AddFragmentationVendorId(builder, remote_config);
}

void IkeService::Engine::AddResponderVendorIds(IsakmpSa& sa, MessageBuilder& builder) {
  if (sa.natt_in_use) {
    builder.Add(VendorIdPayload{VendorIdBytes(sa.natt_vendor_id)});
  }
  if (sa.remote_config->dpd) {
    builder.Add(VendorIdPayload{VendorIdBytes(KnownVendorId::kDpd)});
  }
  if (sa.peer_fragmentation) {
    AddFragmentationVendorId(builder, *sa.remote_config);
  }
}

void IkeService::Engine::AddNatD(IsakmpSa& sa, MessageBuilder& builder) {
  if (!sa.natt_in_use) {
    return;
  }
  // RFC 3947 §3.2: first the hash of the peer's address and port as we
  // send to them, then the hash of our own. The drafts use payload type 130.
  const PayloadType type = NatDPayloadType(sa.natt_version);
  Endpoint claimed_local = sa.local;
  if (sa.remote_config->nat_traversal == config::NatTraversal::kForce) {
    // `nat_traversal force`: a hash of port 0, which no datagram carries,
    // cannot match, so the peer concludes that we are behind a NAT and
    // both sides float to port 4500 and encapsulate ESP in UDP.
    claimed_local.port = 0;
  }
  builder.Add(type, NatDPayload{ComputeNatDHash(sa.transform.hash, sa.cookie_i, sa.cookie_r, sa.remote)});
  builder.Add(type, NatDPayload{ComputeNatDHash(sa.transform.hash, sa.cookie_i, sa.cookie_r, claimed_local)});
  IPOP_LOG(kInfo) << "Adding remote and local NAT-D payloads.";
}

void IkeService::Engine::DetectNatFrom(IsakmpSa& sa, const Message& message) {
  if (!sa.natt_in_use) {
    return;
  }
  std::vector<Bytes> hashes;
  const PayloadType type = NatDPayloadType(sa.natt_version);
  for (const Payload& payload : message.payloads()) {
    if (payload.type != type) {
      continue;
    }
    auto parsed = ParseNatDPayload(payload.body);
    if (parsed) {
      hashes.push_back(parsed->hash);
    }
  }
  if (hashes.empty()) {
    IPOP_LOG(kWarning) << "peer " << sa.remote.ToString()
                       << " announced NAT-T but sent no NAT-D payloads; assuming no NAT";
    return;
  }
  sa.nat = DetectNat(sa.transform.hash, sa.cookie_i, sa.cookie_r, sa.local, sa.remote, hashes);
  if (sa.remote_config->nat_traversal == config::NatTraversal::kForce && !sa.nat.any_nat()) {
    // Our own NAT-D hash of port 0 made the peer see a NAT in front of us;
    // both sides must agree, so we record the same.
    IPOP_LOG(kInfo) << "nat_traversal force: using UDP encapsulation without a NAT";
    sa.nat.local_behind_nat = true;
  }
  if (!sa.nat.any_nat()) {
    IPOP_LOG(kInfo) << "NAT not detected";
    return;
  }
  std::string where;
  if (sa.nat.local_behind_nat) {
    where += " ME";
  }
  if (sa.nat.peer_behind_nat) {
    where += " PEER";
  }
  IPOP_LOG(kInfo) << "NAT detected:" << where;
}

// ---- message 1 and 2: SA negotiation ----

void IkeService::Engine::StartPhase1(const Endpoint& local, const Endpoint& remote,
                                     const config::RemoteConfig& remote_config) {
  // The initiator uses the first exchange_mode listed that it implements;
  // Base Mode is not implemented.
  const auto& modes = remote_config.exchange_modes;
  auto mode = std::ranges::find_if(modes, [](config::ExchangeMode listed) {
    return listed != config::ExchangeMode::kBase;
  });
  if (mode == modes.end()) {
    ++counters_.phase1_failed;
    IPOP_LOG(kError) << "phase 1 with " << remote.ToString() << " not started: exchange_mode of remote "
                     << remote_config.origin << " lists only base, which is not implemented; add main";
    return;
  }
  if (*mode == config::ExchangeMode::kAggressive) {
    StartAggressiveMode(local, remote, remote_config);
    return;
  }
  IPOP_LOG(kInfo) << "initiate new phase 1 negotiation: " << local.ToString() << "<=>" << remote.ToString();
  IPOP_LOG(kInfo) << "begin Identity Protection mode.";
  IsakmpSa& sa = CreateSa(/*initiator=*/true, local, remote, remote_config);
  sa.offer = BuildPhase1Offer(remote_config);
  if (sa.offer.empty()) {
    FailPhase1(sa, "the remote section has no proposal");
    return;
  }
  sa.transform = sa.offer.front();

  // HDR, SA, VID -->
  const SaPayload sa_payload = EncodePhase1Sa(sa.offer);
  sa.sa_i_body = EncodeBody(sa_payload);
  MessageBuilder builder(MainModeHeader(sa));
  builder.AddRaw(PayloadType::kSa, sa.sa_i_body);
  AddVendorIds(builder, remote_config);
  SendPhase1Message(sa, builder.Build(), /*expect_reply=*/true);
}

Result<IsakmpSa*> IkeService::Engine::StartResponderSa(const Message& message, const Endpoint& local,
                                                       const Endpoint& remote, config::ExchangeMode mode,
                                                       OfferedPhase1Transform& chosen) {
  auto admitted = AdmitResponder(remote, mode);
  if (!admitted) {
    return std::unexpected(admitted.error());
  }
  const config::RemoteConfig* remote_config = *admitted;
  auto sa_body = RequiredBody(message, PayloadType::kSa);
  if (!sa_body) {
    return std::unexpected(sa_body.error());
  }
  auto sa_payload = ParseSaPayload(*sa_body);
  if (!sa_payload) {
    return std::unexpected(sa_payload.error());
  }
  IPOP_LOG(kInfo) << "respond new phase 1 negotiation: " << local.ToString() << "<=>" << remote.ToString();
  IPOP_LOG(kInfo) << (mode == config::ExchangeMode::kAggressive ? "begin Aggressive mode."
                                                                 : "begin Identity Protection mode.");
  auto selected = ChoosePhase1(*sa_payload, *remote_config);
  if (!selected) {
    ++counters_.phase1_failed;
    IPOP_LOG(kError) << "no proposal chosen for " << remote.ToString() << ": " << selected.error().detail;
    SendClearNotify(local, remote, message.header().initiator_cookie, Cookie{}, kNotifyNoProposalChosen);
    return nullptr;
  }
  chosen = *selected;

  IsakmpSa& sa = CreateSa(/*initiator=*/false, local, remote, *remote_config);
  sa.cookie_i = message.header().initiator_cookie;
  sa.transform = chosen.value;
  sa.sa_i_body.assign(sa_body->begin(), sa_body->end());
  ReadVendorIds(sa, message);
  IPOP_LOG(kDebug) << "ISAKMP-SA " << CookiePairText(sa.cookie_i, sa.cookie_r) << " selected "
                   << DescribePhase1(sa.transform);
  return &sa;
}

Result<void> IkeService::Engine::RespondToMessage1(const Message& message, const Endpoint& local,
                                                   const Endpoint& remote) {
  if (auto checked = CheckPayloads(message, kMainModeSaRule); !checked) {
    return checked;
  }
  // <-- HDR, SA, VID: choose one transform of the initiator's offer.
  OfferedPhase1Transform chosen;
  auto started = StartResponderSa(message, local, remote, config::ExchangeMode::kMain, chosen);
  if (!started) {
    return std::unexpected(started.error());
  }
  if (*started == nullptr) {
    return {};
  }
  IsakmpSa& sa = **started;

  MessageBuilder builder(MainModeHeader(sa));
  builder.Add(EncodePhase1Reply(chosen.wire));
  AddResponderVendorIds(sa, builder);
  sa.last_received.assign(message.bytes().begin(), message.bytes().end());
  SendPhase1Message(sa, builder.Build(), /*expect_reply=*/true);
  return {};
}

Result<void> IkeService::Engine::HandleMessage2(IsakmpSa& sa, const Message& message) {
  if (auto checked = CheckPayloads(message, kMainModeSaRule); !checked) {
    return checked;
  }
  auto sa_payload = ParseRequired(message, PayloadType::kSa, ParseSaPayload);
  if (!sa_payload) {
    return std::unexpected(sa_payload.error());
  }
  auto accepted = AcceptPhase1Reply(*sa_payload, sa.offer);
  if (!accepted) {
    FailPhase1(sa, accepted.error().detail);
    return {};
  }
  sa.transform = *accepted;
  sa.cookie_r = message.header().responder_cookie;
  ReadVendorIds(sa, message);

  // HDR, KE, Ni, NAT-D, NAT-D -->
  auto dh = crypto::DhKeyPair::Generate(sa.transform.dh_group);
  if (!dh) {
    FailPhase1(sa, "DH key generation failed: " + dh.error().detail);
    return {};
  }
  sa.public_i = dh->public_value();
  sa.dh = std::move(*dh);
  sa.nonce_i = crypto::RandomBytes(kNonceSize);
  MessageBuilder builder(MainModeHeader(sa));
  builder.Add(KeyExchangePayload{sa.public_i});
  builder.Add(NoncePayload{sa.nonce_i});
  AddNatD(sa, builder);
  Transition(sa, Phase1State::kInitiatorSentKe);
  SendPhase1Message(sa, builder.Build(), /*expect_reply=*/true);
  return {};
}

// ---- message 3 and 4: key exchange ----

Result<void> IkeService::Engine::ReadKeyExchangeAndNonce(IsakmpSa& sa, const Message& message) {
  if (auto checked = CheckPayloads(message, kMainModeKeRule); !checked) {
    return checked;
  }
  return ReadPeerKeyExchange(sa, message);
}

Result<void> IkeService::Engine::ReadPeerKeyExchange(IsakmpSa& sa, const Message& message) {
  auto ke = ParseRequired(message, PayloadType::kKeyExchange, ParseKeyExchangePayload);
  if (!ke) {
    return std::unexpected(ke.error());
  }
  const size_t expected = crypto::DhGroupBytes(sa.transform.dh_group);
  if (ke->public_value.size() != expected) {
    return Fail(ErrorCode::kMalformed,
                "KE payload has " + std::to_string(ke->public_value.size()) + " bytes, the group needs " +
                    std::to_string(expected),
                kNotifyInvalidKeyInformation);
  }
  auto nonce = ParseRequired(message, PayloadType::kNonce, ParseNoncePayload);
  if (!nonce) {
    return std::unexpected(nonce.error());
  }
  (sa.initiator ? sa.public_r : sa.public_i) = ke->public_value;
  (sa.initiator ? sa.nonce_r : sa.nonce_i) = nonce->data;
  if (message.Find(PayloadType::kCertificateRequest) != nullptr) {
    sa.peer_requested_certificate = true;
  }
  return {};
}

Result<void> IkeService::Engine::ComputePhase1Keys(IsakmpSa& sa) {
  auto shared = sa.dh->ComputeShared(sa.initiator ? sa.public_r : sa.public_i);
  if (!shared) {
    return std::unexpected(shared.error());
  }
  sa.shared = std::move(*shared);
  crypto::SecretBytes skeyid;
  if (sa.transform.auth_method == config::AuthMethod::kPreSharedKey) {
    const crypto::SecretBytes* key = credentials_.PreSharedKey(sa.remote.address);
    if (key == nullptr) {
      return Fail(ErrorCode::kNotFound, "no pre-shared key for " + sa.remote.address.ToString());
    }
    skeyid = ComputeSkeyidForPreSharedKey(sa.transform.hash, key->view(), sa.nonce_i, sa.nonce_r);
  } else {
    skeyid = ComputeSkeyidForSignatures(sa.transform.hash, sa.nonce_i, sa.nonce_r, sa.shared);
  }
  sa.keys = DerivePhase1Keys(sa.transform.hash, std::move(skeyid), sa.shared, sa.cookie_i, sa.cookie_r,
                             CipherKeyLength(sa.transform));
  sa.iv = ComputePhase1Iv(sa.transform.hash, sa.public_i, sa.public_r,
                          crypto::IkeCipherBlockSize(sa.transform.cipher));
  sa.keys_ready = true;
  return {};
}

Result<void> IkeService::Engine::HandleMessage3(IsakmpSa& sa, const Message& message) {
  if (auto read = ReadKeyExchangeAndNonce(sa, message); !read) {
    return read;
  }
  auto dh = crypto::DhKeyPair::Generate(sa.transform.dh_group);
  if (!dh) {
    FailPhase1(sa, "DH key generation failed: " + dh.error().detail);
    return {};
  }
  sa.public_r = dh->public_value();
  sa.dh = std::move(*dh);
  sa.nonce_r = crypto::RandomBytes(kNonceSize);
  if (auto keys = ComputePhase1Keys(sa); !keys) {
    FailPhase1(sa, keys.error().detail);
    return {};
  }
  DetectNatFrom(sa, message);

  // <-- HDR, KE, Nr, CR, NAT-D, NAT-D
  MessageBuilder builder(MainModeHeader(sa));
  builder.Add(KeyExchangePayload{sa.public_r});
  builder.Add(NoncePayload{sa.nonce_r});
  const RemoteCredentials* own = credentials_.ForRemote(*sa.remote_config);
  if (sa.transform.auth_method == config::AuthMethod::kRsaSignature && sa.remote_config->send_cr &&
      own != nullptr && !own->trust_anchors.trust_anchors().empty()) {
    builder.Add(CertificateRequestPayload{kCertEncodingX509Signature,
                                          own->trust_anchors.trust_anchors().front().SubjectDer()});
  }
  AddNatD(sa, builder);
  Transition(sa, Phase1State::kResponderSentKe);
  SendPhase1Message(sa, builder.Build(), /*expect_reply=*/true);
  return {};
}

Result<void> IkeService::Engine::HandleMessage4(IsakmpSa& sa, const Message& message) {
  if (auto read = ReadKeyExchangeAndNonce(sa, message); !read) {
    return read;
  }
  if (auto keys = ComputePhase1Keys(sa); !keys) {
    FailPhase1(sa, keys.error().detail);
    return {};
  }
  DetectNatFrom(sa, message);
  if (sa.nat.any_nat()) {
    // RFC 3947 §4: with a NAT in the path the initiator moves to port 4500
    // from message 5 on.
    FloatToNatTraversalPort(sa);
  }

  // HDR*, IDii, CERT, SIG_I, CR -->
  auto sealed = BuildAuthMessage(sa, IsFirstSaWith(sa));
  if (!sealed) {
    FailPhase1(sa, sealed.error().detail);
    return {};
  }
  Transition(sa, Phase1State::kInitiatorSentAuth);
  SendPhase1Message(sa, std::move(*sealed), /*expect_reply=*/true);
  return {};
}

void IkeService::Engine::FloatToNatTraversalPort(IsakmpSa& sa) {
  Endpoint floated = sa.local;
  floated.port = kNatTraversalPort;
  for (const Endpoint& listen : config_.listen.isakmp_natt) {
    if (listen.address == sa.local.address) {
      floated = listen;
    }
  }
  sa.local = floated;
  sa.remote.port = kNatTraversalPort;
}

void IkeService::Engine::RetransmitPhase1(uint64_t sa_id) {
  IsakmpSa* sa = FindSaById(sa_id);
  if (sa == nullptr || sa->state == Phase1State::kEstablished) {
    return;
  }
  Retransmit(sa->last_sent, *sa->remote_config, [this, sa_id] { RetransmitPhase1(sa_id); });
}

}  // namespace ipop::ike
