#include "config/racoon_algorithms.h"

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/suggestion.h"

namespace ipop::config {
namespace {

using crypto::DhGroup;
using crypto::EspCipher;
using crypto::EspIntegrity;
using crypto::HashAlgorithm;
using crypto::IkeCipher;

template <typename T>
struct NamedValue {
  std::string_view name;
  T value;
};

// Looks `token` up among the implemented names; a name from `unsupported`
// (known to racoon) or any other name throws with the choices that work.
template <typename T>
T Lookup(const Token& token, std::span<const NamedValue<T>> implemented,
         std::span<const std::string_view> unsupported, const std::string& kind,
         const std::string& choices) {
  for (const NamedValue<T>& entry : implemented) {
    if (entry.name == token.text) {
      return entry.value;
    }
  }
  for (std::string_view name : unsupported) {
    if (name == token.text) {
      throw ConfigError(token.location,
                        kind + " " + Quote(token.text) + " is not supported yet; use " + choices);
    }
  }
  std::vector<std::string> candidates;
  for (const NamedValue<T>& entry : implemented) {
    candidates.emplace_back(entry.name);
  }
  for (std::string_view name : unsupported) {
    candidates.emplace_back(name);
  }
  const std::string suggestion = DidYouMean(token.text, candidates);
  throw ConfigError(token.location, "unknown " + kind + " " + Quote(token.text) +
                                        (suggestion.empty() ? "; use " + choices : suggestion));
}

// racoon writes the AES key length as a separate number ("aes 256").
void RejectGluedKeyLength(const Token& token) {
  for (std::string_view bits : {"128", "192", "256"}) {
    if (token.text == "aes" + std::string(bits)) {
      throw ConfigError(token.location, "unknown encryption algorithm " + Quote(token.text) +
                                            "; did you mean \"aes " + std::string(bits) + "\"?");
    }
  }
}

size_t ReadAesKeyBits(const Token* key_bits) {
  if (key_bits == nullptr) {
    return 0;
  }
  if (key_bits->number == 128 || key_bits->number == 256) {
    return key_bits->number;
  }
  if (key_bits->number == 192) {
    throw ConfigError(key_bits->location,
                      "AES key length 192 is not supported yet; use 128 or 256");
  }
  throw ConfigError(key_bits->location,
                    "invalid AES key length " + key_bits->text + "; use 128 or 256");
}

void RejectKeyBits(const Token& name, const Token* key_bits) {
  if (key_bits != nullptr) {
    throw ConfigError(key_bits->location,
                      Quote(name.text) + " takes no key length; remove \"" + key_bits->text + "\"");
  }
}

constexpr NamedValue<IkeCipher> kIkeCiphers[] = {
    {"3des", IkeCipher::k3desCbc}, {"aes", IkeCipher::kAesCbc}, {"rijndael", IkeCipher::kAesCbc}};
constexpr std::string_view kUnsupportedIkeCiphers[] = {"des",  "blowfish", "cast128", "camellia",
                                                       "idea", "rc5",      "twofish"};

constexpr NamedValue<HashAlgorithm> kIkeHashes[] = {
    {"sha1", HashAlgorithm::kSha1},     {"sha256", HashAlgorithm::kSha256},
    {"sha2_256", HashAlgorithm::kSha256}, {"sha384", HashAlgorithm::kSha384},
    {"sha2_384", HashAlgorithm::kSha384}, {"sha512", HashAlgorithm::kSha512},
    {"sha2_512", HashAlgorithm::kSha512}};
constexpr std::string_view kUnsupportedIkeHashes[] = {"md5", "tiger"};

constexpr NamedValue<AuthMethod> kAuthMethods[] = {{"rsasig", AuthMethod::kRsaSignature},
                                                   {"pre_shared_key", AuthMethod::kPreSharedKey}};
constexpr std::string_view kUnsupportedAuthMethods[] = {"dsssig",
                                                        "rsaenc",
                                                        "rsarev",
                                                        "gssapi_krb",
                                                        "hybrid_rsa_server",
                                                        "hybrid_rsa_client",
                                                        "hybrid_dss_server",
                                                        "hybrid_dss_client",
                                                        "xauth_psk_server",
                                                        "xauth_psk_client",
                                                        "xauth_rsa_server",
                                                        "xauth_rsa_client"};

// NOTE: ecp256 and ecp384 (groups 19 and 20, RFC 5903) are ipop-espd names,
// spelled as strongSwan spells them; racoon has no ECP groups.
constexpr NamedValue<DhGroup> kDhGroups[] = {
    {"modp768", DhGroup::kModp768},   {"modp1024", DhGroup::kModp1024},
    {"modp1536", DhGroup::kModp1536}, {"modp2048", DhGroup::kModp2048},
    {"modp3072", DhGroup::kModp3072}, {"modp4096", DhGroup::kModp4096},
    {"modp6144", DhGroup::kModp6144}, {"modp8192", DhGroup::kModp8192},
    {"ecp256", DhGroup::kEcp256},     {"ecp384", DhGroup::kEcp384}};
constexpr std::string_view kUnsupportedDhGroups[] = {"ec2n155", "ec2n185"};
// racoon's EC2N group numbers (RFC 2409 §6.3, §6.4). The implemented groups
// are also accepted by number, which is their IKE group number.
constexpr uint64_t kUnsupportedDhGroupNumbers[] = {3, 4};

// NOTE: aes_gcm_16 is an ipop-espd name. The keyword list (cftoken.l) of the
// ipsec-tools 0.9.1 fork has no AES-GCM entry; other racoon builds define an
// AES-GCM algorithm type whose keyword spelling is unchecked.
constexpr NamedValue<EspCipher> kEspCiphers[] = {{"3des", EspCipher::k3desCbc},
                                                 {"aes", EspCipher::kAesCbc},
                                                 {"rijndael", EspCipher::kAesCbc},
                                                 {"aes_gcm_16", EspCipher::kAesGcm16}};
constexpr std::string_view kUnsupportedEspCiphers[] = {
    "des",     "des_iv64", "des_iv32", "rc5",  "rc4",     "idea",    "3idea",
    "cast128", "blowfish", "null_enc", "null", "twofish", "camellia"};

// NOTE: hmac_sha256_96 is an ipop-espd name. It is negotiated as HMAC-SHA2-256
// but installed with a 96-bit ICV, as racoon's SAs are on Linux because PF_KEY
// has no field for the ICV length. IKEv1 cannot signal the truncation, so both
// peers must configure it.
constexpr NamedValue<EspIntegrity> kEspIntegrities[] = {
    {"hmac_sha1", EspIntegrity::kHmacSha1_96},
    {"hmac_sha256", EspIntegrity::kHmacSha256_128},
    {"hmac_sha2_256", EspIntegrity::kHmacSha256_128},
    {"hmac_sha256_96", EspIntegrity::kHmacSha256_96},
    {"hmac_sha384", EspIntegrity::kHmacSha384_192},
    {"hmac_sha2_384", EspIntegrity::kHmacSha384_192},
    {"hmac_sha512", EspIntegrity::kHmacSha512_256},
    {"hmac_sha2_512", EspIntegrity::kHmacSha512_256},
    {"non_auth", EspIntegrity::kNone}};
constexpr std::string_view kUnsupportedEspIntegrities[] = {"hmac_md5", "des_mac", "kpdk"};

constexpr NamedValue<bool> kCompressions[] = {{"deflate", true}};
constexpr std::string_view kUnsupportedCompressions[] = {"lzs", "oui"};

}  // namespace

IkeCipherChoice ReadIkeCipher(const Token& name, const Token* key_bits) {
  RejectGluedKeyLength(name);
  const IkeCipher cipher = Lookup<IkeCipher>(name, kIkeCiphers, kUnsupportedIkeCiphers,
                                             "encryption algorithm", "3des or aes [128|256]");
  if (cipher == IkeCipher::k3desCbc) {
    RejectKeyBits(name, key_bits);
    return {cipher, 0};
  }
  // racoon proposes AES-128 when no key length is given (eay_aes_keylen
  // returns 128 for 0).
  const size_t bits = ReadAesKeyBits(key_bits);
  return {cipher, bits == 0 ? 128 : bits};
}

HashAlgorithm ReadIkeHash(const Token& name, const Token* key_bits) {
  const HashAlgorithm hash = Lookup<HashAlgorithm>(name, kIkeHashes, kUnsupportedIkeHashes,
                                                   "hash algorithm", "sha1, sha256, sha384 or sha512");
  RejectKeyBits(name, key_bits);
  return hash;
}

AuthMethod ReadAuthMethod(const Token& name, const Token* key_bits) {
  const AuthMethod method = Lookup<AuthMethod>(name, kAuthMethods, kUnsupportedAuthMethods,
                                               "authentication method", "rsasig or pre_shared_key");
  RejectKeyBits(name, key_bits);
  return method;
}

DhGroup ReadDhGroup(const Token& group) {
  const std::string choices =
      "modp768, modp1024, modp1536, modp2048, modp3072, modp4096, modp6144, modp8192, ecp256 or "
      "ecp384 (or 1, 2, 5, 14-20)";
  if (group.kind != TokenKind::kNumber) {
    return Lookup<DhGroup>(group, kDhGroups, kUnsupportedDhGroups, "Diffie-Hellman group", choices);
  }
  for (const NamedValue<DhGroup>& entry : kDhGroups) {
    if (static_cast<uint64_t>(entry.value) == group.number) {
      return entry.value;
    }
  }
  for (uint64_t number : kUnsupportedDhGroupNumbers) {
    if (number == group.number) {
      throw ConfigError(group.location, "Diffie-Hellman group " + group.text +
                                            " is not supported yet; use " + choices);
    }
  }
  throw ConfigError(group.location,
                    "unknown Diffie-Hellman group " + group.text + "; use " + choices);
}

EspCipherChoice ReadEspCipher(const Token& name, const Token* key_bits) {
  RejectGluedKeyLength(name);
  const EspCipher cipher =
      Lookup<EspCipher>(name, kEspCiphers, kUnsupportedEspCiphers, "encryption algorithm",
                        "3des, aes [128|256] or aes_gcm_16 [128|256]");
  if (cipher == EspCipher::k3desCbc) {
    RejectKeyBits(name, key_bits);
    return {cipher, 0};
  }
  return {cipher, ReadAesKeyBits(key_bits)};
}

EspIntegrity ReadEspIntegrity(const Token& name, const Token* key_bits) {
  const EspIntegrity integrity =
      Lookup<EspIntegrity>(name, kEspIntegrities, kUnsupportedEspIntegrities,
                           "authentication algorithm",
                           "hmac_sha1, hmac_sha256, hmac_sha256_96, hmac_sha384 or hmac_sha512");
  RejectKeyBits(name, key_bits);
  return integrity;
}

void ReadCompression(const Token& name, const Token* key_bits) {
  Lookup<bool>(name, kCompressions, kUnsupportedCompressions, "compression algorithm", "deflate");
  RejectKeyBits(name, key_bits);
}

}  // namespace ipop::config
