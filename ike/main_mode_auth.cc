// Main Mode messages 5 and 6 (RFC 2409 §5.1): the encrypted identities and
// their proof, by RSA signature (§5.1) or pre-shared key (§5.4).
//
// Peer identity checks. With rsasig the peer's certificate must chain to
// the `ca_type` CA (unless verify_cert is off), and its key must verify
// SIG_I or SIG_R. An ID payload of type DER_ASN1_DN must also equal the
// certificate's subject, so that a peer cannot claim a name its certificate
// does not carry.
// `verify_identifier off` (the operators' setting) adds no comparison with
// `peers_identifier`. With `verify_identifier on` the ID must also equal
// peers_identifier for the address type; other types are not compared yet.
#include "base/log.h"
#include "crypto/secret.h"
#include "ike/engine.h"
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

std::string IdentityText(const IdentificationPayload& id) {
  if (id.id_type == kIdIpv4Address && id.data.size() == 4) {
    return Ipv4Address::FromBytes(id.data).ToString();
  }
  if (id.id_type == kIdFqdn || id.id_type == kIdUserFqdn || id.id_type == kIdKeyId) {
    return std::string(reinterpret_cast<const char*>(id.data.data()), id.data.size());
  }
  return "ID type " + std::to_string(id.id_type);
}

}  // namespace

Result<Bytes> IkeService::Engine::OwnIdentityBody(const IsakmpSa& sa) const {
  const config::Identifier& identifier = sa.remote_config->my_identifier;
  IdentificationPayload id;
  switch (identifier.type) {
    case config::IdentifierType::kAsn1Dn: {
      const RemoteCredentials* own = credentials_.ForRemote(*sa.remote_config);
      if (!identifier.value.empty()) {
        return Fail(ErrorCode::kUnsupported, "my_identifier asn1dn with an explicit name is not supported");
      }
      if (own == nullptr || !own->certificate) {
        return Fail(ErrorCode::kNotFound, "my_identifier asn1dn needs our certificate, none is loaded");
      }
      id = IdentificationPayload::FromDerAsn1Dn(own->certificate->SubjectDer());
      break;
    }
    case config::IdentifierType::kAddress: {
      Ipv4Address address = sa.local.address;
      if (!identifier.value.empty()) {
        auto parsed = Ipv4Address::Parse(identifier.value);
        if (!parsed) {
          return Fail(ErrorCode::kInvalidArgument, "my_identifier address " + identifier.value + " is invalid");
        }
        address = *parsed;
      }
      id = IdentificationPayload::FromIpv4Address(address);
      break;
    }
    case config::IdentifierType::kFqdn:
    case config::IdentifierType::kUserFqdn:
    case config::IdentifierType::kKeyId:
      id.id_type = identifier.type == config::IdentifierType::kFqdn       ? kIdFqdn
                   : identifier.type == config::IdentifierType::kUserFqdn ? kIdUserFqdn
                                                                          : kIdKeyId;
      id.data.assign(reinterpret_cast<const std::byte*>(identifier.value.data()),
                     reinterpret_cast<const std::byte*>(identifier.value.data() + identifier.value.size()));
      break;
  }
  return EncodeBody(id);
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
  if (!UsesSignatures(sa)) {
    auto hash = ParseRequired(message, PayloadType::kHash, ParseHashPayload);
    if (!hash) {
      return std::unexpected(hash.error());
    }
    if (!crypto::ConstantTimeEqual(hash->data, expected)) {
      return Fail(ErrorCode::kAuthenticationFailed, "the peer's HASH does not match (wrong pre-shared key?)",
                  kNotifyInvalidHashInformation);
    }
    sa.peer_identity = IdentityText(*id);
    return {};
  }

  const Payload* certificate_payload = nullptr;
  for (const Payload* payload : message.FindAll(PayloadType::kCertificate)) {
    auto parsed = ParseCertificatePayload(payload->body);
    if (parsed && parsed->encoding == kCertEncodingX509Signature) {
      certificate_payload = payload;
      break;
    }
  }
  if (certificate_payload == nullptr) {
    // TODO(ike): look the peer's certificate up locally (`peers_certfile`)
    // when it sends none.
    return Fail(ErrorCode::kAuthenticationFailed, "the peer sent no X.509 certificate",
                kNotifyCertificateUnavailable);
  }
  auto certificate_data = ParseCertificatePayload(certificate_payload->body);
  auto certificate = crypto::Certificate::FromDer(certificate_data->data);
  if (!certificate) {
    return Fail(ErrorCode::kAuthenticationFailed, "the peer's certificate is invalid: " + certificate.error().detail,
                kNotifyInvalidCertificate);
  }
  auto signature = ParseRequired(message, PayloadType::kSignature, ParseSignaturePayload);
  if (!signature) {
    return std::unexpected(signature.error());
  }
  // The CERT payload is outside HASH_I and HASH_R, and CBC lets anyone on
  // the path flip bits in it without the keys. So every failure here only
  // drops the message: the peer's retransmission may arrive intact, and a
  // peer that is truly rejected runs into the phase 1 time limit, whose log
  // line repeats the last reason.
  if (auto verified = crypto::VerifyIkeSignature(*certificate, expected, signature->data); !verified) {
    return Fail(ErrorCode::kAuthenticationFailed, "signature verification failed: " + verified.error().detail,
                kNotifyInvalidSignature);
  }
  if (sa.remote_config->verify_cert) {
    const RemoteCredentials* own = credentials_.ForRemote(*sa.remote_config);
    if (own == nullptr) {
      return Fail(ErrorCode::kAuthenticationFailed, "certificate rejected: no CA is configured to verify it",
                  kNotifyInvalidCertAuthority);
    }
    if (auto trusted = own->trust_anchors.Verify(*certificate, {}); !trusted) {
      IPOP_LOG(kError) << "certificate rejected: " << trusted.error().detail << " (subject "
                       << certificate->SubjectText() << ", peer " << sa.remote.ToString() << ")";
      return Fail(ErrorCode::kAuthenticationFailed,
                  "certificate rejected: " + trusted.error().detail + " (subject " + certificate->SubjectText() + ")",
                  kNotifyInvalidCertificate);
    }
  }
  if (id->id_type == kIdDerAsn1Dn && !crypto::SameDistinguishedName(id->data, certificate->SubjectDer())) {
    return Fail(ErrorCode::kAuthenticationFailed,
                "the peer's ID does not match its certificate subject " + certificate->SubjectText(),
                kNotifyInvalidIdInformation);
  }
  const auto& peers_identifier = sa.remote_config->peers_identifier;
  if (sa.remote_config->verify_identifier && peers_identifier &&
      peers_identifier->type == config::IdentifierType::kAddress && IdentityText(*id) != peers_identifier->value) {
    return Fail(ErrorCode::kAuthenticationFailed,
                "the peer's ID " + IdentityText(*id) + " is not peers_identifier " + peers_identifier->value,
                kNotifyInvalidIdInformation);
  }
  sa.peer_identity = certificate->SubjectText();
  sa.peer_certificate = std::move(*certificate);
  IPOP_LOG(kDebug) << "peer " << sa.remote.ToString() << " authenticated as " << sa.peer_identity;
  return {};
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
}

}  // namespace ipop::ike
