// Aggressive Mode (RFC 2409 §5.1, §5.4; exchange type 4): phase 1 in three
// messages, with the identities in clear. The key derivation and the
// authentication payloads are Main Mode's (main_mode.cc, main_mode_auth.cc).
//
//   Initiator                                  Responder
//   HDR, SA, KE, Ni, IDii [, CR], VID  -->
//                                      <--     HDR, SA, KE, Nr, IDir,
//                                              [CERT,] SIG_R or HASH_R,
//                                              [CR,] VID, NAT-D, NAT-D
//   HDR, [CERT,] SIG_I or HASH_I,
//        NAT-D, NAT-D                  -->
//
// KE goes out in message 1, before any transform is agreed, so every
// proposal of a remote that allows Aggressive Mode uses one DH group (the
// configuration loader rejects anything else). Message 3 goes out
// unencrypted as racoon sends it; an encrypted one is accepted too.
// NAT-D travels in messages 2 and 3, and the initiator moves to port 4500
// for message 3 when a NAT was found (RFC 3947 §3.2, §4). INITIAL-CONTACT
// follows in a protected Informational exchange, since none of the three
// messages is protected.
#include <algorithm>

#include "base/log.h"
#include "crypto/random.h"
#include "ike/engine.h"
#include "ike/payload_certificate_request.h"
#include "ike/payload_key_exchange.h"
#include "ike/payload_nonce.h"
#include "ike/payload_notification.h"
#include "ike/payload_rules.h"
#include "ike/payload_sa.h"
#include "ike/phase1_common.h"

namespace ipop::ike {

namespace {

IsakmpHeader AggressiveHeader(const IsakmpSa& sa) {
  IsakmpHeader header;
  header.initiator_cookie = sa.cookie_i;
  header.responder_cookie = sa.cookie_r;
  header.exchange_type = ExchangeType::kAggressive;
  header.message_id = kPhase1MessageId;
  return header;
}

// HASH_R goes out in clear in message 2, computed with SKEYID =
// prf(pre-shared key, Ni_b | Nr_b), so an eavesdropper who captures
// messages 1 and 2 can test guesses of the key offline.
void WarnAboutPreSharedKey(const Endpoint& remote) {
  IPOP_LOG(kWarning) << "Aggressive Mode with a pre-shared key to " << remote.ToString()
                     << ": an eavesdropper can test guesses of the key offline against HASH_R; "
                        "use Main Mode or rsasig if the key is weak";
}

}  // namespace

// ---- dispatch ----

void IkeService::Engine::HandleAggressiveMode(const Message& message, const Endpoint& local,
                                              const Endpoint& remote, ByteView datagram) {
  const IsakmpHeader& header = message.header();
  if (header.message_id != kPhase1MessageId) {
    Drop("invalid message ID", remote, "Aggressive Mode message with a non-zero message ID");
    return;
  }
  IsakmpSa* sa = FindSa(header.initiator_cookie);
  if (sa == nullptr) {
    if (CookieValue(header.responder_cookie) != 0 || header.encrypted()) {
      Drop("unknown cookie", remote,
           "no ISAKMP SA " + CookiePairText(header.initiator_cookie, header.responder_cookie));
      return;
    }
    auto responded = RespondToAggressive1(message, local, remote);
    if (!responded) {
      Drop(DropReasonFor(responded.error()), remote, responded.error().detail);
    }
    return;
  }
  if (!sa->aggressive) {
    Drop("invalid state", remote, "Aggressive Mode message for a Main Mode ISAKMP SA");
    return;
  }
  // Message 3 ends Aggressive Mode, so the responder sends nothing for a
  // repeated one. The initiator replies to a repeated message 2 with
  // message 3 again, because the responder repeats 2 when 3 was lost.
  const bool resend = sa->initiator || sa->state != Phase1State::kEstablished;
  if (AnswerDuplicate(sa->last_received, sa->last_sent, datagram, remote, resend)) {
    return;
  }
  if (!AcceptPhase1Peer(*sa, header, local, remote)) {
    return;
  }

  Result<void> handled;
  if (sa->state == Phase1State::kAggressiveInitiatorSent1) {
    handled = HandleAggressive2(*sa, message);
  } else if (sa->state == Phase1State::kAggressiveResponderSent2) {
    handled = HandleAggressive3(*sa, message);
  } else {
    Drop("invalid state", remote,
         "Aggressive Mode message for an ISAKMP SA that is " + std::string(Phase1StateName(sa->state)));
    return;
  }
  FinishPhase1Step(*sa, handled, remote, datagram);
}

// ---- message 1 ----

void IkeService::Engine::StartAggressiveMode(const Endpoint& local, const Endpoint& remote,
                                             const config::RemoteConfig& remote_config) {
  IPOP_LOG(kInfo) << "initiate new phase 1 negotiation: " << local.ToString() << "<=>" << remote.ToString();
  IPOP_LOG(kInfo) << "begin Aggressive mode.";
  IsakmpSa& sa = CreateSa(/*initiator=*/true, local, remote, remote_config);
  sa.aggressive = true;
  sa.state = Phase1State::kAggressiveInitiatorSent1;
  sa.offer = BuildPhase1Offer(remote_config);
  if (sa.offer.empty()) {
    FailPhase1(sa, "the remote section has no proposal");
    return;
  }
  sa.transform = sa.offer.front();
  const bool offers_psk = std::ranges::any_of(sa.offer, [](const Phase1Transform& transform) {
    return transform.auth_method == config::AuthMethod::kPreSharedKey;
  });
  if (offers_psk) {
    WarnAboutPreSharedKey(remote);
  }

  auto dh = crypto::DhKeyPair::Generate(sa.transform.dh_group);
  if (!dh) {
    FailPhase1(sa, "DH key generation failed: " + dh.error().detail);
    return;
  }
  sa.public_i = dh->public_value();
  sa.dh = std::move(*dh);
  sa.nonce_i = crypto::RandomBytes(kNonceSize);
  auto id_body = OwnIdentityBody(sa);
  if (!id_body) {
    FailPhase1(sa, id_body.error().detail);
    return;
  }

  // HDR, SA, KE, Ni, IDii [, CR], VID -->
  sa.sa_i_body = EncodeBody(EncodePhase1Sa(sa.offer));
  MessageBuilder builder(AggressiveHeader(sa));
  builder.AddRaw(PayloadType::kSa, sa.sa_i_body);
  builder.Add(KeyExchangePayload{sa.public_i});
  builder.Add(NoncePayload{sa.nonce_i});
  builder.AddRaw(PayloadType::kIdentification, *id_body);
  const RemoteCredentials* own = credentials_.ForRemote(remote_config);
  const bool offers_signatures = std::ranges::any_of(sa.offer, [](const Phase1Transform& transform) {
    return transform.auth_method == config::AuthMethod::kRsaSignature;
  });
  if (offers_signatures && remote_config.send_cr && own != nullptr && !own->trust_anchors.trust_anchors().empty()) {
    builder.Add(CertificateRequestPayload{kCertEncodingX509Signature,
                                          own->trust_anchors.trust_anchors().front().SubjectDer()});
  }
  AddVendorIds(builder, remote_config);
  SendPhase1Message(sa, builder.Build(), /*expect_reply=*/true);
}

Result<void> IkeService::Engine::ReadAggressiveOffer(IsakmpSa& sa, const Message& message) {
  auto id_body = RequiredBody(message, PayloadType::kIdentification);
  if (!id_body) {
    return std::unexpected(id_body.error());
  }
  if (auto read = ReadPeerKeyExchange(sa, message); !read) {
    return read;
  }
  sa.peer_id_body.assign(id_body->begin(), id_body->end());
  return {};
}

// ---- message 2 ----

Result<void> IkeService::Engine::RespondToAggressive1(const Message& message, const Endpoint& local,
                                                      const Endpoint& remote) {
  if (auto checked = CheckPayloads(message, kAggressive1Rule); !checked) {
    return checked;
  }
  OfferedPhase1Transform chosen;
  auto started = StartResponderSa(message, local, remote, config::ExchangeMode::kAggressive, chosen);
  if (!started) {
    return std::unexpected(started.error());
  }
  if (*started == nullptr) {
    return {};
  }
  IsakmpSa& sa = **started;
  const config::RemoteConfig* remote_config = sa.remote_config;
  sa.aggressive = true;
  sa.state = Phase1State::kAggressiveResponderSent2;
  sa.last_received.assign(message.bytes().begin(), message.bytes().end());
  if (sa.transform.auth_method == config::AuthMethod::kPreSharedKey) {
    WarnAboutPreSharedKey(remote);
  }
  if (auto read = ReadAggressiveOffer(sa, message); !read) {
    FailPhase1(sa, read.error().detail);
    return {};
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
  auto id_body = OwnIdentityBody(sa);
  if (!id_body) {
    FailPhase1(sa, id_body.error().detail);
    return {};
  }

  // <-- HDR, SA, KE, Nr, IDir, [CERT,] SIG_R or HASH_R [, CR], VID, NAT-D, NAT-D
  MessageBuilder builder(AggressiveHeader(sa));
  builder.Add(EncodePhase1Reply(chosen.wire));
  builder.Add(KeyExchangePayload{sa.public_r});
  builder.Add(NoncePayload{sa.nonce_r});
  builder.AddRaw(PayloadType::kIdentification, *id_body);
  if (auto added = AddOwnAuthentication(sa, builder, *id_body); !added) {
    FailPhase1(sa, added.error().detail);
    return {};
  }
  const RemoteCredentials* own = credentials_.ForRemote(*remote_config);
  if (sa.transform.auth_method == config::AuthMethod::kRsaSignature && remote_config->send_cr && own != nullptr &&
      !own->trust_anchors.trust_anchors().empty()) {
    builder.Add(CertificateRequestPayload{kCertEncodingX509Signature,
                                          own->trust_anchors.trust_anchors().front().SubjectDer()});
  }
  AddResponderVendorIds(sa, builder);
  AddNatD(sa, builder);
  SendPhase1Message(sa, builder.Build(), /*expect_reply=*/true);
  return {};
}

Result<void> IkeService::Engine::HandleAggressive2(IsakmpSa& sa, const Message& message) {
  if (message.header().encrypted()) {
    return Fail(ErrorCode::kMalformed, "Aggressive Mode message 2 is encrypted", kNotifyInvalidFlags);
  }
  if (auto checked = CheckPayloads(message, kAggressive2Rule); !checked) {
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
  if (auto read = ReadAggressiveOffer(sa, message); !read) {
    return read;
  }
  if (auto keys = ComputePhase1Keys(sa); !keys) {
    FailPhase1(sa, keys.error().detail);
    return {};
  }
  // Nothing of message 2 is encrypted, so a forged one fails here and is
  // dropped; the responder's own message may still arrive.
  if (auto verified = VerifyPeerProof(sa, message, sa.peer_id_body); !verified) {
    return verified;
  }
  // A peers_identifier mismatch ends phase 1 inside VerifyPeerProof.
  if (sa.state == Phase1State::kDead) {
    return {};
  }
  DetectNatFrom(sa, message);
  if (sa.nat.any_nat()) {
    FloatToNatTraversalPort(sa);
  }
  auto id_body = OwnIdentityBody(sa);
  if (!id_body) {
    FailPhase1(sa, id_body.error().detail);
    return {};
  }

  // HDR, [CERT,] SIG_I or HASH_I, NAT-D, NAT-D -->
  MessageBuilder builder(AggressiveHeader(sa));
  if (auto added = AddOwnAuthentication(sa, builder, *id_body); !added) {
    FailPhase1(sa, added.error().detail);
    return {};
  }
  AddNatD(sa, builder);
  const bool initial_contact = IsFirstSaWith(sa);
  // Message 3 expects no reply; a repeated message 2 gets it again through
  // duplicate detection.
  SendPhase1Message(sa, builder.Build(), /*expect_reply=*/false);
  Phase1Established(sa);
  if (initial_contact) {
    SendInitialContact(sa);
  }
  return {};
}

// ---- message 3 ----

Result<void> IkeService::Engine::HandleAggressive3(IsakmpSa& sa, const Message& received) {
  Message message = received;
  Bytes next_iv;
  if (received.header().encrypted()) {
    auto decrypted = Open(sa, received, sa.iv, next_iv);
    if (!decrypted) {
      return std::unexpected(decrypted.error());
    }
    message = std::move(*decrypted);
  }
  if (auto checked = CheckPayloads(message, kAggressive3Rule); !checked) {
    return checked;
  }
  if (auto verified = VerifyPeerProof(sa, message, sa.peer_id_body); !verified) {
    return verified;
  }
  if (sa.state == Phase1State::kDead) {
    return {};
  }

  if (received.header().encrypted()) {
    sa.iv = std::move(next_iv);
    for (const Payload* payload : message.FindAll(PayloadType::kNotification)) {
      auto notification = ParseNotificationPayload(payload->body);
      if (notification) {
        HandleNotification(&sa, *notification, /*authenticated=*/true, sa.remote);
      }
    }
  }
  DetectNatFrom(sa, message);
  CancelRetransmission(sa.last_sent);
  const bool initial_contact = IsFirstSaWith(sa);
  Phase1Established(sa);
  if (initial_contact) {
    SendInitialContact(sa);
  }
  return {};
}

void IkeService::Engine::SendInitialContact(IsakmpSa& sa) {
  SendProtectedInformational(sa, PayloadType::kNotification,
                             EncodeBody(InitialContactNotification(sa.cookie_i, sa.cookie_r)));
}

}  // namespace ipop::ike
