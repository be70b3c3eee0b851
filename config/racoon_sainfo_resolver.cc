// The `sainfo` sections of racoon.conf: phase 2 parameters per pair of
// Quick Mode IDs.
#include <algorithm>

#include "base/log.h"
#include "config/racoon_algorithms.h"
#include "config/racoon_resolver.h"
#include "config/suggestion.h"

namespace ipop::config {
namespace {

// Reads "A[/LEN]" as racoon does: no prefix means one host (/32).
Ipv4Prefix ReadSainfoAddress(const Token& token) {
  const size_t slash = token.text.find('/');
  Token address_token = token;
  address_token.text = token.text.substr(0, slash);
  Ipv4Prefix prefix{ReadIpv4Address(address_token), 32};
  if (slash != std::string::npos) {
    const std::string length = token.text.substr(slash + 1);
    if (length.empty() || length.size() > 2 ||
        length.find_first_not_of("0123456789") != std::string::npos || std::stoi(length) > 32) {
      ThrowAt(token,
              "invalid prefix length " + Quote(length) + " in " + token.text + "; use 0 to 32");
    }
    prefix.length = static_cast<uint8_t>(std::stoi(length));
  }
  return prefix;
}

// `from IDTYPE VALUE` after the IDs; advances `index` past it.
Identifier ReadSainfoFrom(const std::vector<Token>& arguments, size_t& index) {
  const Token& from = arguments[index++];
  const Token& type = arguments[index++];
  if (index >= arguments.size() || arguments[index].IsWord("group")) {
    ThrowAt(type, "sainfo from " + type.text + " needs a value; write from " + type.text +
                      " \"VALUE\"");
  }
  const Token& value = arguments[index++];
  static constexpr std::pair<std::string_view, IdentifierType> kTypes[] = {
      {"address", IdentifierType::kAddress}, {"fqdn", IdentifierType::kFqdn},
      {"user_fqdn", IdentifierType::kUserFqdn}, {"keyid", IdentifierType::kKeyId},
      {"asn1dn", IdentifierType::kAsn1Dn}};
  for (const auto& [name, id_type] : kTypes) {
    if (type.text == name) {
      Identifier identifier{id_type, value.text};
      if (id_type == IdentifierType::kAddress) {
        identifier.value = ReadIpv4Address(value).ToString();
      }
      return identifier;
    }
  }
  ThrowAt(type, "unknown identifier type " + Quote(type.text) + " after " + from.text +
                    "; use address, fqdn, user_fqdn, keyid or asn1dn");
}

}  // namespace

// One ID of the sainfo header starting at `index`; advances `index` past
// it. Returns nothing for anonymous.
std::optional<Ipv4Prefix> RacoonResolver::ResolveSainfoId(const std::vector<Token>& arguments,
                                                          size_t& index) {
  const Token& type = arguments[index++];
  if (type.IsWord("anonymous")) {
    return std::nullopt;
  }
  if (type.IsWord("clientaddr")) {
    ThrowAt(type,
            "sainfo clientaddr is not supported yet: it needs Mode Config; use anonymous "
            "or an address");
  }
  if (!type.IsWord("address") && !type.IsWord("subnet")) {
    ThrowAt(type, "sainfo ID type " + type.text + " is not supported yet; use address or subnet");
  }
  const Token& address = arguments[index++];
  if (address.kind == TokenKind::kString) {
    ThrowAt(address, "sainfo " + type.text + " needs an address, not a quoted string");
  }
  Ipv4Prefix prefix = ReadSainfoAddress(address);
  if (arguments[index].kind == TokenKind::kWord && arguments[index].text.starts_with("-")) {
    ThrowAt(arguments[index], "sainfo address ranges are not supported yet; use address/prefix");
  }
  if (arguments[index].kind == TokenKind::kPort) {
    if (arguments[index].text != "any") {
      ThrowAt(arguments[index],
              "sainfo IDs with a port are not supported yet; use [any] or no "
              "port");
    }
    ++index;
  }
  const Token& protocol = arguments[index++];
  if (!protocol.IsWord("any")) {
    ThrowAt(protocol, "sainfo IDs with an upper-layer protocol are not supported yet; use any");
  }
  const uint32_t network = prefix.address.value() & prefix.Mask();
  if (network != prefix.address.value()) {
    const std::string notice = address.location.ToString() + ": sainfo " + address.text +
                               " has host bits set; it is read as " +
                               Ipv4Prefix{Ipv4Address(network), prefix.length}.ToString();
    IPOP_LOG(kWarning) << notice;
    config_.notices.push_back(notice);
    prefix.address = Ipv4Address(network);
  }
  return prefix;
}

void RacoonResolver::ResolveSainfo(const Directive& directive) {
  SainfoConfig sainfo;
  sainfo.origin = directive.location.Origin();
  const std::vector<Token>& arguments = directive.arguments;
  size_t index = 0;
  sainfo.local = ResolveSainfoId(arguments, index);
  if (index < arguments.size() && !arguments[index].IsWord("from") &&
      !arguments[index].IsWord("group")) {
    sainfo.remote = ResolveSainfoId(arguments, index);
  }
  if (index < arguments.size() && arguments[index].IsWord("from")) {
    sainfo.peer_identifier = ReadSainfoFrom(arguments, index);
  }
  if (index < arguments.size() && arguments[index].IsWord("group")) {
    ThrowAt(arguments[index],
            "sainfo group is not supported yet: XAuth groups are not implemented; remove "
            "group \"" + arguments[index + 1].text + "\" from the sainfo header");
  }
  if (index < arguments.size()) {
    ThrowAt(arguments[index], "sainfo " + arguments[index].text +
                                  " is not supported yet; remove it from the sainfo header");
  }

  for (const Directive& child : directive.children) {
    if (Admit(child)) {
      ResolveSainfoStatement(child, sainfo);
    }
  }
  if (sainfo.ciphers.empty()) {
    throw ConfigError(directive.location,
                      "sainfo has no encryption_algorithm; add for example "
                      "\"encryption_algorithm aes 256;\"");
  }
  if (sainfo.integrities.empty()) {
    throw ConfigError(directive.location,
                      "sainfo has no authentication_algorithm; add for "
                      "example \"authentication_algorithm hmac_sha256;\"");
  }

  bool integrity_protected = false;
  for (crypto::EspIntegrity integrity : sainfo.integrities) {
    integrity_protected = integrity_protected || integrity != crypto::EspIntegrity::kNone;
  }
  for (crypto::EspCipher cipher : sainfo.ciphers) {
    if (!integrity_protected && cipher != crypto::EspCipher::kAesGcm16) {
      throw ConfigError(directive.location,
                        "authentication_algorithm non_auth alone leaves CBC ciphers without "
                        "integrity protection; add hmac_sha1 or hmac_sha256, or offer only "
                        "aes_gcm_16");
    }
  }

  // The two share one IKEv1 attribute value, so the peer's choice could not
  // tell them apart.
  const auto& integrities = sainfo.integrities;
  if (std::ranges::find(integrities, crypto::EspIntegrity::kHmacSha256_128) != integrities.end() &&
      std::ranges::find(integrities, crypto::EspIntegrity::kHmacSha256_96) != integrities.end()) {
    throw ConfigError(directive.location,
                      "authentication_algorithm lists both hmac_sha256 and hmac_sha256_96, which "
                      "IKEv1 negotiates as the same algorithm; keep the one whose ICV length the "
                      "peer uses");
  }

  for (const SainfoConfig& other : config_.sainfos) {
    if (other.local == sainfo.local && other.remote == sainfo.remote &&
        other.peer_identifier.has_value() == sainfo.peer_identifier.has_value() &&
        (!other.peer_identifier || other.peer_identifier->value == sainfo.peer_identifier->value)) {
      throw ConfigError(directive.location, "duplicate sainfo for the same IDs; the first is at " +
                                                other.origin + "; merge the two blocks");
    }
  }
  config_.sainfos.push_back(std::move(sainfo));
}

void RacoonResolver::ResolveSainfoStatement(const Directive& directive, SainfoConfig& sainfo) {
  const std::vector<Token>& arguments = directive.arguments;
  if (directive.name == "pfs_group") {
    sainfo.pfs_group = ReadDhGroup(arguments[0]);
    return;
  }
  if (directive.name == "lifetime") {
    if (arguments[0].IsWord("byte")) {
      sainfo.lifetime_kilobytes = ReadByteLifetime(directive);
    } else {
      sainfo.lifetime = ReadLifetime(directive);
    }
    return;
  }
  // ALGORITHM [KEY_BITS] (, ALGORITHM [KEY_BITS])*
  for (size_t i = 0; i < arguments.size(); ++i) {
    const Token& name = arguments[i];
    if (name.kind != TokenKind::kWord) {
      continue;
    }
    const Token* key_bits = OptionalNumberAt(arguments, i + 1);
    if (directive.name == "encryption_algorithm") {
      const EspCipherChoice choice = ReadEspCipher(name, key_bits);
      sainfo.ciphers.push_back(choice.cipher);
      sainfo.cipher_key_bits.push_back(choice.key_bits);
    } else if (directive.name == "authentication_algorithm") {
      sainfo.integrities.push_back(ReadEspIntegrity(name, key_bits));
    } else {
      ReadCompression(name, key_bits);
      sainfo.compression_deflate = true;
    }
  }
}

uint64_t RacoonResolver::ReadByteLifetime(const Directive& directive) {
  // The SA payload carries byte lifetimes in kilobytes (RFC 2407 §4.5), so
  // the limit is rounded up to whole kilobytes.
  struct ByteUnit {
    std::string_view name;
    uint64_t bytes;  // bytes per unit
  };
  static constexpr ByteUnit kUnits[] = {{"B", 1}, {"KB", 1ULL << 10}, {"MB", 1ULL << 20}, {"GB", 1ULL << 30}};
  // The kernel and the wire take 32-bit kilobyte counts at most.
  constexpr uint64_t kMaxKilobytes = 0xffffffffULL;
  const Token& number = directive.arguments[1];
  const Token& unit = directive.arguments[2];
  for (const ByteUnit& candidate : kUnits) {
    if (candidate.name != unit.text) {
      continue;
    }
    if (number.number == 0) {
      ThrowAt(number, "lifetime byte must be at least 1 " + unit.text);
    }
    if (number.number > (kMaxKilobytes << 10) / candidate.bytes) {
      ThrowAt(number, "lifetime byte " + number.text + " " + unit.text + " is too large; use at most 4095 GB");
    }
    const uint64_t bytes = number.number * candidate.bytes;
    return (bytes + 1023) / 1024;
  }
  const std::string suggestion = DidYouMean(unit.text, {"B", "KB", "MB", "GB"});
  ThrowAt(unit, "unknown byte unit " + Quote(unit.text) + (suggestion.empty() ? "; use B, KB, MB or GB" : suggestion));
}

}  // namespace ipop::config
