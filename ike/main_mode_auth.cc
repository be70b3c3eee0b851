// Main Mode messages 5 and 6 (RFC 2409 §5.1): the encrypted identities and
// their proof, by RSA signature (§5.1) or pre-shared key (§5.4).
//
// Peer identity checks, in order:
// 1. The proof: HASH_I/HASH_R for pre-shared keys, or SIG_I/SIG_R made with
//    the key of the peer's certificate (from its first CERT payload, or
//    from peers_certfile when that is set).
// 2. With rsasig and verify_cert on, the certificate must chain to a
//    `ca_type` certificate through the peer's other CERT payloads, and must
//    carry the ID (subject or subjectAltName, see CheckCertificateCarriesId).
//    An asn1dn ID must equal the subject even with verify_cert off, so that
//    the name in logs is the certificate's. A certificate from
//    peers_certfile is trusted as configured and skips the chain check.
// 3. With verify_identifier on, the ID must match peers_identifier.
// Failures in 1 and 2 drop the message, because CERT payloads are outside
// the hash and may have been damaged on the way. A failure in 3 concerns
// authenticated data only, so it ends phase 1 at once. Aggressive Mode runs
// the same checks through VerifyPeerProof.
#include <vector>

#include "base/log.h"
#include "crypto/secret.h"
#include "ike/engine.h"
#include "ike/identity.h"
#include "ike/payload_certificate.h"
#include "ike/payload_certificate_request.h"
#include "ike/payload_hash.h"
#include "ike/payload_identification.h"
#include "ike/payload_rules.h"
#include "ike/payload_signature.h"
#include "ike/phase1_common.h"

namespace ipop::ike {

namespace {

bool UsesSignatures(const IsakmpSa& sa) {
  return sa.transform.auth_method == config::AuthMethod::kRsaSignature;
}

// The peer's certificate and the intermediate CAs it sent.
struct PeerCertificates {
  crypto::Certificate leaf;
  std::vector<crypto::Certificate> intermediates;
  bool from_file = false;  // peers_certfile
};

// Takes the peer's certificate from peers_certfile when configured, else
// from its X.509 CERT payloads: the first is the peer's own (racoon and
// strongSwan send it first), the others are intermediates. CERT payloads
// of other encodings, such as CRLs, are skipped.
Result<PeerCertificates> CollectPeerCertificates(const Message& message, const RemoteCredentials* own) {
  const std::vector<const Payload*> payloads = message.FindAll(PayloadType::kCertificate);
  if (own != nullptr && own->peer_certificate) {
    if (!payloads.empty()) {
      IPOP_LOG(kDebug) << "ignoring " << payloads.size() << " CERT payloads: peers_certfile is set";
    }
    return PeerCertificates{*own->peer_certificate, {}, true};
  }
  std::vector<crypto::Certificate> certificates;
  for (const Payload* payload : payloads) {
    auto parsed = ParseCertificatePayload(payload->body);
    if (!parsed || parsed->encoding != kCertEncodingX509Signature) {
      continue;
    }
    auto certificate = crypto::Certificate::FromDer(parsed->data);
    if (!certificate) {
      return Fail(ErrorCode::kAuthenticationFailed,
                  "the peer's certificate " + std::to_string(certificates.size() + 1) +
                      " is invalid: " + certificate.error().detail,
                  kNotifyInvalidCertificate);
    }
    certificates.push_back(std::move(*certificate));
  }
  if (certificates.empty()) {
    return Fail(ErrorCode::kAuthenticationFailed, "the peer sent no X.509 certificate and no peers_certfile is set",
                kNotifyCertificateUnavailable);
  }
  PeerCertificates peer{certificates.front(), {}, false};
  peer.intermediates.assign(certificates.begin() + 1, certificates.end());
  return peer;
}

}  // namespace

Result<Bytes> IkeService::Engine::OwnIdentityBody(const IsakmpSa& sa) const {
  const RemoteCredentials* own = credentials_.ForRemote(*sa.remote_config);
  const crypto::Certificate* certificate = own != nullptr && own->certificate ? &*own->certificate : nullptr;
  auto id = MakeOwnIdentity(sa.remote_config->my_identifier, sa.local.address, certificate);
  if (!id) {
    return std::unexpected(id.error());
  }
  return EncodeBody(*id);
}

Result<void> IkeService::Engine::AddOwnAuthentication(IsakmpSa& sa, MessageBuilder& builder, ByteView id_body) {
  const Bytes hash = sa.initiator
                         ? ComputeHashI(sa.transform.hash, sa.keys.skeyid, sa.public_i, sa.public_r, sa.cookie_i,
                                        sa.cookie_r, sa.sa_i_body, id_body)
                         : ComputeHashR(sa.transform.hash, sa.keys.skeyid, sa.public_i, sa.public_r, sa.cookie_i,
                                        sa.cookie_r, sa.sa_i_body, id_body);
  if (!UsesSignatures(sa)) {
    builder.Add(HashPayload{hash});
    return {};
  }
  const RemoteCredentials* own = credentials_.ForRemote(*sa.remote_config);
  if (own == nullptr || !own->certificate || !own->private_key) {
    return Fail(ErrorCode::kNotFound, "rsasig needs our certificate and private key, none is loaded");
  }
  if (sa.remote_config->send_cert) {
    builder.Add(CertificatePayload{kCertEncodingX509Signature, own->certificate->Der()});
    for (const crypto::Certificate& intermediate : own->intermediates) {
      builder.Add(CertificatePayload{kCertEncodingX509Signature, intermediate.Der()});
    }
  }
  auto signature = own->private_key->SignIkeHash(hash);
  if (!signature) {
    return std::unexpected(signature.error());
  }
  builder.Add(SignaturePayload{std::move(*signature)});
  return {};
}

Result<Bytes> IkeService::Engine::BuildAuthMessage(IsakmpSa& sa, bool with_initial_contact) {
  auto id_body = OwnIdentityBody(sa);
  if (!id_body) {
    return std::unexpected(id_body.error());
  }

  IsakmpHeader header;
  header.initiator_cookie = sa.cookie_i;
  header.responder_cookie = sa.cookie_r;
  header.exchange_type = ExchangeType::kIdentityProtection;
  header.flags = kFlagEncryption;
  MessageBuilder builder(header);
  builder.AddRaw(PayloadType::kIdentification, *id_body);
  if (auto added = AddOwnAuthentication(sa, builder, *id_body); !added) {
    return std::unexpected(added.error());
  }
  // The initiator requests the responder's certificate here, after SIG_I,
  // as racoon does. Peers that send their certificate only when asked,
  // such as strongSwan's default (send_cert = ifasked), otherwise reply
  // with ID and SIG alone, which we cannot verify.
  const RemoteCredentials* own = credentials_.ForRemote(*sa.remote_config);
  if (UsesSignatures(sa) && sa.initiator && sa.remote_config->send_cr && own != nullptr &&
      !own->trust_anchors.trust_anchors().empty()) {
    builder.Add(CertificateRequestPayload{kCertEncodingX509Signature,
                                          own->trust_anchors.trust_anchors().front().SubjectDer()});
  }

  if (with_initial_contact) {
    builder.Add(InitialContactNotification(sa.cookie_i, sa.cookie_r));
  }
  return Seal(sa, builder, sa.iv);
}

Result<void> IkeService::Engine::VerifyPeerAuth(IsakmpSa& sa, const Message& message) {
  if (auto checked = CheckPayloads(message, kMainModeAuthRule); !checked) {
    return checked;
  }
  auto id_payload = RequiredBody(message, PayloadType::kIdentification);
  if (!id_payload) {
    return std::unexpected(id_payload.error());
  }
  return VerifyPeerProof(sa, message, *id_payload);
}

Result<void> IkeService::Engine::VerifyPeerProof(IsakmpSa& sa, const Message& message, ByteView id_body) {
  auto id = ParseIdentificationPayload(id_body);
  if (!id) {
    return std::unexpected(id.error());
  }
  // The peer's hash: HASH_I when it is the initiator, HASH_R otherwise.
  const Bytes expected = sa.initiator
                             ? ComputeHashR(sa.transform.hash, sa.keys.skeyid, sa.public_i, sa.public_r,
                                            sa.cookie_i, sa.cookie_r, sa.sa_i_body, id_body)
                             : ComputeHashI(sa.transform.hash, sa.keys.skeyid, sa.public_i, sa.public_r,
                                            sa.cookie_i, sa.cookie_r, sa.sa_i_body, id_body);
  std::optional<crypto::Certificate> certificate;
  if (UsesSignatures(sa)) {
    auto verified = VerifyPeerCertificate(sa, message, *id, expected);
    if (!verified) {
      return std::unexpected(verified.error());
    }
    certificate = std::move(*verified);
  } else {
    auto hash = ParseRequired(message, PayloadType::kHash, ParseHashPayload);
    if (!hash) {
      return std::unexpected(hash.error());
    }
    if (!crypto::ConstantTimeEqual(hash->data, expected)) {
      return Fail(ErrorCode::kAuthenticationFailed, "the peer's HASH does not match (wrong pre-shared key?)",
                  kNotifyInvalidHashInformation);
    }
  }

  const config::RemoteConfig& remote = *sa.remote_config;
  if (remote.verify_identifier && remote.peers_identifier) {
    auto matched = CheckPeersIdentifier(*id, *remote.peers_identifier, sa.remote.address,
                                        certificate ? &*certificate : nullptr);
    if (!matched) {
      FailPhase1(sa, matched.error().detail);
      return {};
    }
  }
  if (certificate) {
    sa.peer_identity = certificate->SubjectText();
    sa.peer_certificate = std::move(*certificate);
  } else {
    sa.peer_identity = IdentityText(*id);
  }
  IPOP_LOG(kDebug) << "peer " << sa.remote.ToString() << " authenticated as " << DescribeIdentity(*id);
  return {};
}

Result<crypto::Certificate> IkeService::Engine::VerifyPeerCertificate(const IsakmpSa& sa, const Message& message,
                                                                      const IdentificationPayload& id,
                                                                      ByteView expected_hash) {
  const RemoteCredentials* own = credentials_.ForRemote(*sa.remote_config);
  auto peer = CollectPeerCertificates(message, own);
  if (!peer) {
    return std::unexpected(peer.error());
  }
  auto signature = ParseRequired(message, PayloadType::kSignature, ParseSignaturePayload);
  if (!signature) {
    return std::unexpected(signature.error());
  }
  if (auto verified = crypto::VerifyIkeSignature(peer->leaf, expected_hash, signature->data); !verified) {
    return Fail(ErrorCode::kAuthenticationFailed, "signature verification failed: " + verified.error().detail,
                kNotifyInvalidSignature);
  }

  const bool verify_cert = sa.remote_config->verify_cert;
  if (verify_cert && !peer->from_file) {
    if (own == nullptr) {
      return Fail(ErrorCode::kAuthenticationFailed, "certificate rejected: no CA is configured to verify it",
                  kNotifyInvalidCertAuthority);
    }
    if (auto trusted = own->trust_anchors.Verify(peer->leaf, peer->intermediates); !trusted) {
      IPOP_LOG(kError) << "certificate rejected: " << trusted.error().detail << " (subject "
                       << peer->leaf.SubjectText() << ", peer " << sa.remote.ToString() << ")";
      return Fail(ErrorCode::kAuthenticationFailed,
                  "certificate rejected: " + trusted.error().detail + " (subject " + peer->leaf.SubjectText() + ")",
                  kNotifyInvalidCertificate);
    }
  }
  if (verify_cert || id.id_type == kIdDerAsn1Dn) {
    if (auto carried = CheckCertificateCarriesId(id, peer->leaf); !carried) {
      IPOP_LOG(kError) << carried.error().detail << " (peer " << sa.remote.ToString() << ")";
      return std::unexpected(carried.error());
    }
  }
  return std::move(peer->leaf);
}

bool IkeService::Engine::IsFirstSaWith(const IsakmpSa& sa) const {
  if (!sa.remote_config->initial_contact || peers_with_sa_.contains(sa.remote.address)) {
    return false;
  }
  // Another exchange with the peer in progress means both sides initiated
  // at once; INITIAL-CONTACT would make the peer drop that one.
  for (const auto& [id, other] : sas_) {
    if (other.get() != &sa && other->state != Phase1State::kDead && other->remote.address == sa.remote.address) {
      return false;
    }
  }
  return true;
}

Result<bool> IkeService::Engine::AcceptAuthMessage(IsakmpSa& sa, const Message& encrypted, int number) {
  if (!encrypted.header().encrypted()) {
    return Fail(ErrorCode::kMalformed, "Main Mode message " + std::to_string(number) + " is not encrypted",
                kNotifyInvalidFlags);
  }
  Bytes next_iv;
  auto message = Open(sa, encrypted, sa.iv, next_iv);
  if (!message) {
    return std::unexpected(message.error());
  }
  if (auto verified = VerifyPeerAuth(sa, *message); !verified) {
    return std::unexpected(verified.error());
  }
  if (sa.state == Phase1State::kDead) {
    return false;
  }

  sa.iv = std::move(next_iv);
  for (const Payload* payload : message->FindAll(PayloadType::kNotification)) {
    auto notification = ParseNotificationPayload(payload->body);
    if (notification) {
      HandleNotification(&sa, *notification, /*authenticated=*/true, sa.remote);
    }
  }
  return true;
}

Result<void> IkeService::Engine::HandleMessage5(IsakmpSa& sa, const Message& encrypted) {
  auto accepted = AcceptAuthMessage(sa, encrypted, 5);
  if (!accepted) {
    return std::unexpected(accepted.error());
  }
  if (!*accepted) {
    return {};
  }

  // <-- HDR*, IDir, CERT, SIG_R
  auto sealed = BuildAuthMessage(sa, IsFirstSaWith(sa));
  if (!sealed) {
    FailPhase1(sa, sealed.error().detail);
    return {};
  }
  // The last message of Main Mode expects no reply; a repeated message 5
  // gets it again through duplicate detection.
  SendPhase1Message(sa, std::move(*sealed), /*expect_reply=*/false);
  Phase1Established(sa);
  return {};
}

Result<void> IkeService::Engine::HandleMessage6(IsakmpSa& sa, const Message& encrypted) {
  auto accepted = AcceptAuthMessage(sa, encrypted, 6);
  if (!accepted) {
    return std::unexpected(accepted.error());
  }
  if (!*accepted) {
    return {};
  }
  CancelRetransmission(sa.last_sent);
  Phase1Established(sa);
  return {};
}

void IkeService::Engine::Phase1Established(IsakmpSa& sa) {
  Transition(sa, Phase1State::kEstablished);
  sa.phase1_last_iv = sa.iv;
  sa.established_at = timers_.Now();
  timers_.Cancel(sa.timeout_timer);
  sa.timeout_timer = 0;
  // The DH private value and g^xy are no longer needed once the keys exist.
  sa.dh.reset();
  sa.shared = crypto::SecretBytes();
  peers_with_sa_.insert(sa.remote.address);
  ++counters_.phase1_established;
  const uint64_t sa_id = sa.id;
  sa.lifetime_timer = timers_.Schedule(sa.transform.lifetime, [this, sa_id] { OnPhase1Expired(sa_id); });
  SchedulePhase1Rekey(sa);
  IPOP_LOG(kInfo) << "ISAKMP-SA established " << sa.local.ToString() << "-" << sa.remote.ToString()
                  << " spi:" << CookiePairText(sa.cookie_i, sa.cookie_r);
  if (key_log_ != nullptr) {
    key_log_->AddIsakmpSa(sa.cookie_i, sa.keys.encryption_key);
  }
  StartDpd(sa);

  std::vector<esp::AcquireRequest> queued = std::move(sa.queued_acquires);
  sa.queued_acquires.clear();
  for (const esp::AcquireRequest& request : queued) {
    StartQuickMode(sa, request);
  }
  RetireDuplicateIsakmpSa(sa);
}

}  // namespace ipop::ike
