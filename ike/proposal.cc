#include "ike/proposal.h"

#include <sstream>

#include "ike/constants.h"
#include "ike/lifetime.h"

namespace ipop::ike {

namespace {

// AES key length offered when the configuration names "aes" without one,
// as racoon does.
constexpr size_t kDefaultAesKeyBits = 128;

const char* AuthMethodName(config::AuthMethod method) {
  return method == config::AuthMethod::kRsaSignature ? "rsasig" : "pre_shared_key";
}

bool IsAes(crypto::EspCipher cipher) {
  return cipher == crypto::EspCipher::kAesCbc || cipher == crypto::EspCipher::kAesGcm16;
}

bool IsAes(crypto::IkeCipher cipher) { return cipher == crypto::IkeCipher::kAesCbc; }

std::string CipherText(crypto::EspCipher cipher, size_t key_bits) {
  std::string text = crypto::EspCipherName(cipher);
  if (IsAes(cipher)) {
    text += "-" + std::to_string(key_bits);
  }
  return text;
}

// True when `a` and `b` carry the same Authentication Algorithm attribute.
// The ICV length of HMAC-SHA2-256 is not on the wire in IKEv1.
bool SameWireIntegrity(crypto::EspIntegrity a, crypto::EspIntegrity b) {
  if (a == b) {
    return true;
  }
  const auto is_sha256 = [](crypto::EspIntegrity integrity) {
    return integrity == crypto::EspIntegrity::kHmacSha256_128 ||
           integrity == crypto::EspIntegrity::kHmacSha256_96;
  };
  return is_sha256(a) && is_sha256(b);
}

// Returns the sainfo integrity algorithm that allows `offered`, or nullopt
// when sainfo's encryption or authentication list rejects it.
std::optional<crypto::EspIntegrity> SainfoAllows(const config::SainfoConfig& sainfo,
                                                 const EspTransform& offered) {
  bool cipher_allowed = false;
  for (size_t i = 0; i < sainfo.ciphers.size(); ++i) {
    if (sainfo.ciphers[i] != offered.cipher) {
      continue;
    }
    const size_t configured_bits = i < sainfo.cipher_key_bits.size() ? sainfo.cipher_key_bits[i] : 0;
    if (configured_bits == 0 || configured_bits == offered.key_bits) {
      cipher_allowed = true;
      break;
    }
  }
  if (!cipher_allowed) {
    return std::nullopt;
  }
  if (offered.cipher == crypto::EspCipher::kAesGcm16) {
    if (offered.integrity != crypto::EspIntegrity::kNone) {
      return std::nullopt;
    }
    return crypto::EspIntegrity::kNone;
  }
  for (crypto::EspIntegrity integrity : sainfo.integrities) {
    if (SameWireIntegrity(integrity, offered.integrity)) {
      return integrity;
    }
  }
  return std::nullopt;
}

}  // namespace

bool SamePhase1Algorithms(const Phase1Transform& a, const Phase1Transform& b) {
  const bool same_key_bits = !IsAes(a.cipher) || a.key_bits == b.key_bits;
  return a.cipher == b.cipher && same_key_bits && a.hash == b.hash &&
         a.auth_method == b.auth_method && a.dh_group == b.dh_group;
}

bool SameEspAlgorithms(const EspTransform& a, const EspTransform& b) {
  return a.cipher == b.cipher && a.key_bits == b.key_bits &&
         SameWireIntegrity(a.integrity, b.integrity) &&
         a.pfs_group == b.pfs_group && a.udp_encapsulated == b.udp_encapsulated &&
         a.tunnel == b.tunnel;
}

std::string DescribePhase1(const Phase1Transform& transform) {
  std::ostringstream text;
  text << crypto::IkeCipherName(transform.cipher);
  if (IsAes(transform.cipher)) {
    text << "-" << transform.key_bits;
  }
  text << "/" << crypto::HashName(transform.hash) << "/" << crypto::DhGroupName(transform.dh_group)
       << "/" << AuthMethodName(transform.auth_method);
  return text.str();
}

std::string DescribeEsp(const EspTransform& transform) {
  std::ostringstream text;
  text << "ESP " << CipherText(transform.cipher, transform.key_bits);
  if (transform.integrity != crypto::EspIntegrity::kNone) {
    text << "/" << crypto::EspIntegrityName(transform.integrity);
  }
  if (transform.pfs_group) {
    text << " PFS " << crypto::DhGroupName(*transform.pfs_group);
  }
  if (transform.udp_encapsulated) {
    text << " UDP-encapsulated";
  }
  if (transform.tunnel) {
    text << " tunnel";
  }
  return text.str();
}

std::vector<Phase1Transform> BuildPhase1Offer(const config::RemoteConfig& remote) {
  std::vector<Phase1Transform> offer;
  for (const config::Phase1Proposal& proposal : remote.proposals) {
    Phase1Transform transform = proposal;
    if (IsAes(transform.cipher) && transform.key_bits == 0) {
      transform.key_bits = kDefaultAesKeyBits;
    }
    offer.push_back(transform);
  }
  return offer;
}

Result<Phase1Transform> SelectPhase1(const std::vector<Phase1Transform>& offered,
                                     const config::RemoteConfig& remote) {
  const std::vector<Phase1Transform> ours = BuildPhase1Offer(remote);
  std::string lifetime_rejection;
  for (const Phase1Transform& theirs : offered) {
    for (const Phase1Transform& mine : ours) {
      if (!SamePhase1Algorithms(theirs, mine)) {
        continue;
      }
      auto lifetime = ChooseResponderLifetime(remote.proposal_check, Lifetime{theirs.lifetime, 0},
                                              Lifetime{mine.lifetime, 0}, /*phase2=*/false);
      if (!lifetime) {
        lifetime_rejection = lifetime.error().detail;
        continue;
      }
      Phase1Transform chosen = theirs;
      chosen.lifetime = lifetime->lifetime.seconds;
      return chosen;
    }
  }
  if (!lifetime_rejection.empty()) {
    return Fail(ErrorCode::kNoProposalChosen, lifetime_rejection, kNotifyNoProposalChosen);
  }
  std::string detail = "none of the peer's " + std::to_string(offered.size()) +
                       " phase 1 transforms matches the configuration";
  if (!offered.empty()) {
    detail += " (first offered: " + DescribePhase1(offered.front()) + ")";
  }
  return Fail(ErrorCode::kNoProposalChosen, detail, kNotifyNoProposalChosen);
}

std::vector<EspTransform> BuildEspOffer(const config::SainfoConfig& sainfo, bool udp_encapsulated,
                                        bool tunnel) {
  std::vector<EspTransform> offer;
  for (size_t i = 0; i < sainfo.ciphers.size(); ++i) {
    EspTransform transform;
    transform.cipher = sainfo.ciphers[i];
    transform.key_bits = i < sainfo.cipher_key_bits.size() ? sainfo.cipher_key_bits[i] : 0;
    if (IsAes(transform.cipher) && transform.key_bits == 0) {
      transform.key_bits = kDefaultAesKeyBits;
    }
    transform.pfs_group = sainfo.pfs_group;
    transform.udp_encapsulated = udp_encapsulated;
    transform.tunnel = tunnel;
    transform.lifetime = sainfo.lifetime;
    transform.lifetime_kilobytes = sainfo.lifetime_kilobytes;
    if (transform.cipher == crypto::EspCipher::kAesGcm16) {
      // AES-GCM authenticates by itself (RFC 4106 §5).
      transform.integrity = crypto::EspIntegrity::kNone;
      offer.push_back(transform);
      continue;
    }
    for (crypto::EspIntegrity integrity : sainfo.integrities) {
      transform.integrity = integrity;
      offer.push_back(transform);
    }
  }
  return offer;
}

Result<EspTransform> SelectEsp(const std::vector<EspTransform>& offered,
                               const config::SainfoConfig& sainfo, bool udp_encapsulated,
                               bool tunnel, config::ProposalCheck proposal_check) {
  std::string lifetime_rejection;
  for (const EspTransform& theirs : offered) {
    if (theirs.udp_encapsulated != udp_encapsulated || theirs.tunnel != tunnel) {
      continue;
    }
    if (sainfo.pfs_group && theirs.pfs_group != sainfo.pfs_group) {
      continue;
    }
    std::optional<crypto::EspIntegrity> integrity = SainfoAllows(sainfo, theirs);
    if (!integrity) {
      continue;
    }
    auto lifetime =
        ChooseResponderLifetime(proposal_check, Lifetime{theirs.lifetime, theirs.lifetime_kilobytes},
                                Lifetime{sainfo.lifetime, sainfo.lifetime_kilobytes}, /*phase2=*/true);
    if (!lifetime) {
      lifetime_rejection = lifetime.error().detail;
      continue;
    }
    EspTransform chosen = theirs;
    chosen.integrity = *integrity;
    chosen.lifetime = lifetime->lifetime.seconds;
    chosen.lifetime_kilobytes = lifetime->lifetime.kilobytes;
    chosen.lifetime_shortened = lifetime->notify_initiator;
    return chosen;
  }
  if (!lifetime_rejection.empty()) {
    return Fail(ErrorCode::kNoProposalChosen, lifetime_rejection, kNotifyNoProposalChosen);
  }
  std::string detail = "none of the peer's " + std::to_string(offered.size()) +
                       " ESP transforms matches the sainfo";
  if (!offered.empty()) {
    detail += " (first offered: " + DescribeEsp(offered.front()) + ")";
  }
  return Fail(ErrorCode::kNoProposalChosen, detail, kNotifyNoProposalChosen);
}

}  // namespace ipop::ike
