#include "ike/sa_attributes.h"

#include <optional>
#include <string>

#include "base/byte_writer.h"
#include "ike/lifetime.h"

namespace ipop::ike {

namespace {

DataAttribute Duration(uint16_t type, std::chrono::seconds lifetime) {
  const uint64_t seconds = static_cast<uint64_t>(lifetime.count());
  if (seconds <= 0xffff) {
    return DataAttribute::Basic(type, static_cast<uint16_t>(seconds));
  }
  // Longer durations take the variable form (RFC 2409 Appendix A).
  ByteWriter value;
  value.WriteU32(static_cast<uint32_t>(seconds));
  return DataAttribute::Variable(type, value.Take());
}

std::optional<crypto::IkeCipher> IkeCipherFromWire(uint64_t value) {
  if (value == kIkeEncryption3desCbc) {
    return crypto::IkeCipher::k3desCbc;
  }
  if (value == kIkeEncryptionAesCbc) {
    return crypto::IkeCipher::kAesCbc;
  }
  return std::nullopt;
}

std::optional<crypto::HashAlgorithm> IkeHashFromWire(uint64_t value) {
  if (value == kIkeHashSha1) {
    return crypto::HashAlgorithm::kSha1;
  }
  if (value == kIkeHashSha2_256) {
    return crypto::HashAlgorithm::kSha256;
  }
  if (value == kIkeHashSha2_384) {
    return crypto::HashAlgorithm::kSha384;
  }
  if (value == kIkeHashSha2_512) {
    return crypto::HashAlgorithm::kSha512;
  }
  return std::nullopt;
}

std::optional<config::AuthMethod> AuthMethodFromWire(uint64_t value) {
  if (value == kIkeAuthPreSharedKey) {
    return config::AuthMethod::kPreSharedKey;
  }
  if (value == kIkeAuthRsaSignature) {
    return config::AuthMethod::kRsaSignature;
  }
  return std::nullopt;
}

std::optional<crypto::DhGroup> GroupFromWire(uint64_t value) {
  switch (value) {
    case kIkeGroupModp1024:
      return crypto::DhGroup::kModp1024;
    case kIkeGroupModp1536:
      return crypto::DhGroup::kModp1536;
    case kIkeGroupModp2048:
      return crypto::DhGroup::kModp2048;
    case kIkeGroupModp3072:
      return crypto::DhGroup::kModp3072;
    case kIkeGroupModp4096:
      return crypto::DhGroup::kModp4096;
    case kIkeGroupModp6144:
      return crypto::DhGroup::kModp6144;
    case kIkeGroupModp8192:
      return crypto::DhGroup::kModp8192;
    case kIkeGroupEcp256:
      return crypto::DhGroup::kEcp256;
    case kIkeGroupEcp384:
      return crypto::DhGroup::kEcp384;
    default:
      return std::nullopt;
  }
}

uint16_t IkeCipherToWire(crypto::IkeCipher cipher) {
  return cipher == crypto::IkeCipher::kAesCbc ? kIkeEncryptionAesCbc : kIkeEncryption3desCbc;
}

uint16_t IkeHashToWire(crypto::HashAlgorithm hash) {
  switch (hash) {
    case crypto::HashAlgorithm::kSha1:
      break;
    case crypto::HashAlgorithm::kSha256:
      return kIkeHashSha2_256;
    case crypto::HashAlgorithm::kSha384:
      return kIkeHashSha2_384;
    case crypto::HashAlgorithm::kSha512:
      return kIkeHashSha2_512;
  }
  return kIkeHashSha1;
}

uint16_t AuthMethodToWire(config::AuthMethod method) {
  return method == config::AuthMethod::kRsaSignature ? kIkeAuthRsaSignature : kIkeAuthPreSharedKey;
}

bool ValidAesKeyBits(uint64_t bits) { return bits == 128 || bits == 192 || bits == 256; }

// Decodes one phase 1 transform; nothing when it needs what we lack.
std::optional<Phase1Transform> DecodePhase1Transform(const Transform& wire) {
  if (wire.transform_id != kTransformKeyIke) {
    return std::nullopt;
  }
  std::optional<crypto::IkeCipher> cipher;
  std::optional<crypto::HashAlgorithm> hash;
  std::optional<config::AuthMethod> auth;
  std::optional<crypto::DhGroup> group;
  Phase1Transform result;
  uint64_t life_type = kIkeLifeTypeSeconds;
  for (const DataAttribute& attribute : wire.attributes) {
    const std::optional<uint64_t> value = attribute.AsInteger();
    if (!value) {
      return std::nullopt;
    }
    switch (attribute.type) {
      case kIkeAttributeEncryptionAlgorithm:
        cipher = IkeCipherFromWire(*value);
        break;
      case kIkeAttributeHashAlgorithm:
        hash = IkeHashFromWire(*value);
        break;
      case kIkeAttributeAuthenticationMethod:
        auth = AuthMethodFromWire(*value);
        break;
      case kIkeAttributeGroupDescription:
        group = GroupFromWire(*value);
        break;
      case kIkeAttributeKeyLength:
        result.key_bits = static_cast<size_t>(*value);
        break;
      case kIkeAttributeLifeType:
        life_type = *value;
        break;
      case kIkeAttributeLifeDuration:
        // Only a duration in seconds bounds the SA; racoon ignores kilobytes.
        if (life_type == kIkeLifeTypeSeconds) {
          result.lifetime = std::chrono::seconds(*value);
        }
        break;
      default:
        // Group type, PRF and unknown attributes: not implemented.
        return std::nullopt;
    }
  }
  if (!cipher || !hash || !auth || !group) {
    return std::nullopt;
  }
  result.cipher = *cipher;
  result.hash = *hash;
  result.auth_method = *auth;
  result.dh_group = *group;
  if (result.cipher == crypto::IkeCipher::kAesCbc && !ValidAesKeyBits(result.key_bits)) {
    return std::nullopt;
  }
  if (result.cipher != crypto::IkeCipher::kAesCbc) {
    result.key_bits = 0;
  }
  return result;
}

std::optional<crypto::EspCipher> EspCipherFromWire(uint8_t transform_id) {
  switch (transform_id) {
    case kTransformEsp3des:
      return crypto::EspCipher::k3desCbc;
    case kTransformEspAes:
      return crypto::EspCipher::kAesCbc;
    case kTransformEspAesGcm16:
      return crypto::EspCipher::kAesGcm16;
    default:
      return std::nullopt;
  }
}

uint8_t EspCipherToWire(crypto::EspCipher cipher) {
  switch (cipher) {
    case crypto::EspCipher::kAesCbc:
      return kTransformEspAes;
    case crypto::EspCipher::kAesGcm16:
      return kTransformEspAesGcm16;
    case crypto::EspCipher::k3desCbc:
    case crypto::EspCipher::kNull:
      break;
  }
  return kTransformEsp3des;
}

std::optional<crypto::EspIntegrity> EspIntegrityFromWire(uint64_t value) {
  if (value == kAuthHmacSha1) {
    return crypto::EspIntegrity::kHmacSha1_96;
  }
  if (value == kAuthHmacSha2_256) {
    return crypto::EspIntegrity::kHmacSha256_128;
  }
  if (value == kAuthHmacSha2_384) {
    return crypto::EspIntegrity::kHmacSha384_192;
  }
  if (value == kAuthHmacSha2_512) {
    return crypto::EspIntegrity::kHmacSha512_256;
  }
  return std::nullopt;
}

uint16_t EspIntegrityToWire(crypto::EspIntegrity integrity) {
  switch (integrity) {
    case crypto::EspIntegrity::kNone:
    case crypto::EspIntegrity::kHmacSha1_96:
      break;
    // Both ICV lengths of HMAC-SHA2-256 share one attribute value in IKEv1.
    case crypto::EspIntegrity::kHmacSha256_128:
    case crypto::EspIntegrity::kHmacSha256_96:
      return kAuthHmacSha2_256;
    case crypto::EspIntegrity::kHmacSha384_192:
      return kAuthHmacSha2_384;
    case crypto::EspIntegrity::kHmacSha512_256:
      return kAuthHmacSha2_512;
  }
  return kAuthHmacSha1;
}

// Attribute values of one ESP transform as decoding proceeds.
struct EspAttributeState {
  EspTransform transform;
  bool mode_seen = false;
  uint64_t life_type = kIpsecLifeTypeSeconds;
};

// Sets the mode flags of `transform` from an Encapsulation Mode value
// (RFC 2407 §4.5, RFC 3947 §5.2 and the draft values); false for others.
bool ApplyEncapsulationMode(uint64_t value, EspTransform& transform) {
  switch (value) {
    case kEncapsulationTunnel:
    case kEncapsulationTransport:
    case kEncapsulationUdpTunnel:
    case kEncapsulationUdpTransport:
    case kEncapsulationUdpTunnelDraft:
    case kEncapsulationUdpTransportDraft:
      break;
    default:
      return false;
  }
  transform.tunnel = value == kEncapsulationTunnel || value == kEncapsulationUdpTunnel ||
                     value == kEncapsulationUdpTunnelDraft;
  transform.udp_encapsulated = value != kEncapsulationTunnel && value != kEncapsulationTransport;
  return true;
}

// Returns the Encapsulation Mode value for `transform`. `udp_transport_mode`
// is 4 for RFC 3947 or 61444 for the drafts, and tunnel mode uses the
// value of the same version.
uint16_t EncapsulationModeValue(const EspTransform& transform, uint16_t udp_transport_mode) {
  if (!transform.udp_encapsulated) {
    return transform.tunnel ? kEncapsulationTunnel : kEncapsulationTransport;
  }
  if (!transform.tunnel) {
    return udp_transport_mode;
  }
  return udp_transport_mode == kEncapsulationUdpTransportDraft ? kEncapsulationUdpTunnelDraft
                                                               : kEncapsulationUdpTunnel;
}

// Applies one attribute; false when it names something we do not implement.
bool ApplyEspAttribute(const DataAttribute& attribute, EspAttributeState& state) {
  const std::optional<uint64_t> value = attribute.AsInteger();
  if (!value) {
    return false;
  }
  switch (attribute.type) {
    case kIpsecAttributeSaLifeType:
      state.life_type = *value;
      return true;
    case kIpsecAttributeSaLifeDuration:
      if (state.life_type == kIpsecLifeTypeSeconds) {
        state.transform.lifetime = std::chrono::seconds(*value);
      } else if (state.life_type == kIpsecLifeTypeKilobytes) {
        state.transform.lifetime_kilobytes = *value;
      }
      return true;
    case kIpsecAttributeGroupDescription:
      state.transform.pfs_group = GroupFromWire(*value);
      return state.transform.pfs_group.has_value();
    case kIpsecAttributeEncapsulationMode:
      state.mode_seen = true;
      return ApplyEncapsulationMode(*value, state.transform);
    case kIpsecAttributeAuthenticationAlgorithm: {
      const std::optional<crypto::EspIntegrity> integrity = EspIntegrityFromWire(*value);
      if (!integrity) {
        return false;
      }
      state.transform.integrity = *integrity;
      return true;
    }
    case kIpsecAttributeKeyLength:
      state.transform.key_bits = static_cast<size_t>(*value);
      return true;
    default:
      return false;
  }
}

std::optional<EspTransform> DecodeEspTransform(const Transform& wire) {
  const std::optional<crypto::EspCipher> cipher = EspCipherFromWire(wire.transform_id);
  if (!cipher) {
    return std::nullopt;
  }
  EspAttributeState state;
  state.transform.cipher = *cipher;
  state.transform.integrity = crypto::EspIntegrity::kNone;
  for (const DataAttribute& attribute : wire.attributes) {
    if (!ApplyEspAttribute(attribute, state)) {
      return std::nullopt;
    }
  }
  EspTransform& result = state.transform;
  // RFC 2407 §4.5 leaves the default mode to the host; we accept only an
  // explicit mode.
  if (!state.mode_seen) {
    return std::nullopt;
  }
  const bool aes = result.cipher != crypto::EspCipher::k3desCbc;
  if (aes && result.key_bits != 128 && result.key_bits != 256) {
    return std::nullopt;
  }
  if (!aes) {
    result.key_bits = 0;
  }
  // CBC ciphers need an integrity algorithm; AES-GCM must not have one.
  const bool gcm = result.cipher == crypto::EspCipher::kAesGcm16;
  if (gcm != (result.integrity == crypto::EspIntegrity::kNone)) {
    return std::nullopt;
  }
  return result;
}

}  // namespace

SaPayload EncodePhase1Sa(const std::vector<Phase1Transform>& transforms) {
  Proposal proposal;
  proposal.number = 1;
  proposal.protocol_id = kProtocolIsakmp;
  uint8_t number = 1;
  for (const Phase1Transform& transform : transforms) {
    Transform wire;
    wire.number = number++;
    wire.transform_id = kTransformKeyIke;
    wire.attributes.push_back(DataAttribute::Basic(kIkeAttributeLifeType, kIkeLifeTypeSeconds));
    wire.attributes.push_back(Duration(kIkeAttributeLifeDuration, transform.lifetime));
    wire.attributes.push_back(
        DataAttribute::Basic(kIkeAttributeEncryptionAlgorithm, IkeCipherToWire(transform.cipher)));
    if (transform.cipher == crypto::IkeCipher::kAesCbc) {
      wire.attributes.push_back(
          DataAttribute::Basic(kIkeAttributeKeyLength, static_cast<uint16_t>(transform.key_bits)));
    }
    wire.attributes.push_back(DataAttribute::Basic(kIkeAttributeAuthenticationMethod,
                                                   AuthMethodToWire(transform.auth_method)));
    wire.attributes.push_back(DataAttribute::Basic(kIkeAttributeHashAlgorithm, IkeHashToWire(transform.hash)));
    wire.attributes.push_back(DataAttribute::Basic(kIkeAttributeGroupDescription,
                                                   static_cast<uint16_t>(transform.dh_group)));
    proposal.transforms.push_back(std::move(wire));
  }
  SaPayload payload;
  payload.proposals.push_back(std::move(proposal));
  return payload;
}

Result<std::vector<OfferedPhase1Transform>> DecodePhase1Sa(const SaPayload& payload) {
  if (payload.proposals.size() != 1) {
    return Fail(ErrorCode::kMalformed,
                "phase 1 SA has " + std::to_string(payload.proposals.size()) + " proposals, expected 1",
                kNotifyBadProposalSyntax);
  }
  const Proposal& proposal = payload.proposals.front();
  if (proposal.protocol_id != kProtocolIsakmp) {
    return Fail(ErrorCode::kMalformed,
                "phase 1 proposal has protocol " + std::to_string(proposal.protocol_id) + ", expected ISAKMP",
                kNotifyInvalidProtocolId);
  }
  std::vector<OfferedPhase1Transform> offered;
  for (const Transform& wire : proposal.transforms) {
    std::optional<Phase1Transform> decoded = DecodePhase1Transform(wire);
    if (decoded) {
      offered.push_back({*decoded, wire});
    }
  }
  if (offered.empty()) {
    return Fail(ErrorCode::kNoProposalChosen,
                "none of the " + std::to_string(proposal.transforms.size()) +
                    " phase 1 transforms uses algorithms this implementation supports",
                kNotifyNoProposalChosen);
  }
  return offered;
}

SaPayload EncodePhase1Reply(const Transform& chosen) {
  Proposal proposal;
  proposal.number = 1;
  proposal.protocol_id = kProtocolIsakmp;
  proposal.transforms.push_back(chosen);
  SaPayload payload;
  payload.proposals.push_back(std::move(proposal));
  return payload;
}

SaPayload EncodeEspSa(const std::vector<EspTransform>& transforms, uint32_t spi, uint16_t udp_transport_mode) {
  Proposal proposal;
  proposal.number = 1;
  proposal.protocol_id = kProtocolEsp;
  ByteWriter spi_bytes;
  spi_bytes.WriteU32(spi);
  proposal.spi = spi_bytes.Take();
  uint8_t number = 1;
  for (const EspTransform& transform : transforms) {
    Transform wire;
    wire.number = number++;
    wire.transform_id = EspCipherToWire(transform.cipher);
    for (DataAttribute& life : EncodeIpsecLifetime(Lifetime{transform.lifetime, transform.lifetime_kilobytes})) {
      wire.attributes.push_back(std::move(life));
    }
    wire.attributes.push_back(DataAttribute::Basic(
        kIpsecAttributeEncapsulationMode, EncapsulationModeValue(transform, udp_transport_mode)));
    if (transform.integrity != crypto::EspIntegrity::kNone) {
      wire.attributes.push_back(DataAttribute::Basic(kIpsecAttributeAuthenticationAlgorithm,
                                                     EspIntegrityToWire(transform.integrity)));
    }
    if (transform.pfs_group) {
      wire.attributes.push_back(DataAttribute::Basic(kIpsecAttributeGroupDescription,
                                                     static_cast<uint16_t>(*transform.pfs_group)));
    }
    if (transform.key_bits != 0) {
      wire.attributes.push_back(
          DataAttribute::Basic(kIpsecAttributeKeyLength, static_cast<uint16_t>(transform.key_bits)));
    }
    proposal.transforms.push_back(std::move(wire));
  }
  SaPayload payload;
  payload.proposals.push_back(std::move(proposal));
  return payload;
}

Result<std::vector<OfferedEspTransform>> DecodeEspSa(const SaPayload& payload) {
  std::vector<OfferedEspTransform> offered;
  for (const std::vector<const Proposal*>& alternative : GroupProposals(payload)) {
    if (alternative.size() != 1 || alternative.front()->protocol_id != kProtocolEsp) {
      continue;
    }
    const Proposal& proposal = *alternative.front();
    if (proposal.spi.size() != kSpiSizeEsp) {
      return Fail(ErrorCode::kMalformed,
                  "ESP proposal SPI has " + std::to_string(proposal.spi.size()) + " bytes, expected 4",
                  kNotifyInvalidSpi);
    }
    const uint32_t spi = (std::to_integer<uint32_t>(proposal.spi[0]) << 24) |
                         (std::to_integer<uint32_t>(proposal.spi[1]) << 16) |
                         (std::to_integer<uint32_t>(proposal.spi[2]) << 8) |
                         std::to_integer<uint32_t>(proposal.spi[3]);
    for (const Transform& wire : proposal.transforms) {
      std::optional<EspTransform> decoded = DecodeEspTransform(wire);
      if (decoded) {
        offered.push_back({*decoded, proposal.number, spi, wire});
      }
    }
  }
  if (offered.empty()) {
    return Fail(ErrorCode::kNoProposalChosen,
                "no ESP transform of the Quick Mode SA uses algorithms this implementation supports",
                kNotifyNoProposalChosen);
  }
  return offered;
}

SaPayload EncodeEspReply(const OfferedEspTransform& chosen, uint32_t our_spi) {
  Proposal proposal;
  proposal.number = chosen.proposal_number;
  proposal.protocol_id = kProtocolEsp;
  ByteWriter spi_bytes;
  spi_bytes.WriteU32(our_spi);
  proposal.spi = spi_bytes.Take();
  proposal.transforms.push_back(chosen.wire);
  SaPayload payload;
  payload.proposals.push_back(std::move(proposal));
  return payload;
}

}  // namespace ipop::ike
