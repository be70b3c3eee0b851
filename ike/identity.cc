#include "ike/identity.h"

#include <algorithm>

#include "base/bytes.h"
#include "crypto/distinguished_name.h"

namespace ipop::ike {

namespace {

constexpr size_t kIpv4AddressBytes = 4;  // ID_IPV4_ADDR data, RFC 2407 §4.6.2.2

Bytes TextBytes(std::string_view text) {
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  return Bytes(begin, begin + text.size());
}

std::string BytesText(ByteView bytes) { return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()); }

bool IsPrintable(ByteView bytes) {
  return std::ranges::all_of(bytes, [](std::byte b) { return b >= std::byte{0x20} && b < std::byte{0x7f}; });
}

template <typename T>
bool Contains(const std::vector<T>& values, const T& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool EqualIgnoringAsciiCase(std::string_view first, std::string_view second) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return std::ranges::equal(first, second, [&](char a, char b) { return lower(a) == lower(b); });
}

uint8_t IdTypeFor(config::IdentifierType type) {
  switch (type) {
    case config::IdentifierType::kAddress:
      return kIdIpv4Address;
    case config::IdentifierType::kFqdn:
      return kIdFqdn;
    case config::IdentifierType::kUserFqdn:
      return kIdUserFqdn;
    case config::IdentifierType::kKeyId:
      return kIdKeyId;
    case config::IdentifierType::kAsn1Dn:
      return kIdDerAsn1Dn;
  }
  return 0;
}

// The address of an address identifier, or `default_address` when it has
// no value.
Result<Ipv4Address> IdentifierAddress(const config::Identifier& identifier, Ipv4Address default_address,
                                      const std::string& directive) {
  if (identifier.value.empty()) {
    return default_address;
  }
  auto parsed = Ipv4Address::Parse(identifier.value);
  if (!parsed) {
    return Fail(ErrorCode::kInvalidArgument, directive + " address " + identifier.value + " is invalid");
  }
  return *parsed;
}

Result<void> IdMismatch(const IdentificationPayload& id, const std::string& expected) {
  return Fail(ErrorCode::kAuthenticationFailed,
              "the peer's ID " + DescribeIdentity(id) + " does not match peers_identifier " + expected,
              kNotifyInvalidIdInformation);
}

Result<void> NotInCertificate(const IdentificationPayload& id, const crypto::Certificate& certificate,
                              const std::string& where) {
  return Fail(ErrorCode::kAuthenticationFailed,
              "the peer's ID " + DescribeIdentity(id) + " is not " + where + " of its certificate " +
                  certificate.SubjectText(),
              kNotifyInvalidIdInformation);
}

}  // namespace

Result<IdentificationPayload> MakeOwnIdentity(const config::Identifier& identifier, Ipv4Address local_address,
                                              const crypto::Certificate* certificate) {
  switch (identifier.type) {
    case config::IdentifierType::kAsn1Dn: {
      if (!identifier.value.empty()) {
        auto pattern = crypto::DistinguishedNamePattern::Parse(identifier.value);
        if (!pattern) {
          return std::unexpected(pattern.error());
        }
        auto der = pattern->ToDer();
        if (!der) {
          return std::unexpected(der.error());
        }
        return IdentificationPayload::FromDerAsn1Dn(std::move(*der));
      }
      if (certificate == nullptr) {
        return Fail(ErrorCode::kNotFound, "my_identifier asn1dn needs our certificate, none is loaded");
      }
      return IdentificationPayload::FromDerAsn1Dn(certificate->SubjectDer());
    }
    case config::IdentifierType::kAddress: {
      auto address = IdentifierAddress(identifier, local_address, "my_identifier");
      if (!address) {
        return std::unexpected(address.error());
      }
      return IdentificationPayload::FromIpv4Address(*address);
    }
    case config::IdentifierType::kFqdn:
    case config::IdentifierType::kUserFqdn:
    case config::IdentifierType::kKeyId: {
      IdentificationPayload id;
      id.id_type = IdTypeFor(identifier.type);
      id.data = TextBytes(identifier.value);
      return id;
    }
  }
  return Fail(ErrorCode::kInvalidArgument, "unknown my_identifier type");
}

std::string IdTypeName(uint8_t id_type) {
  switch (id_type) {
    case kIdIpv4Address:
      return "address";
    case kIdFqdn:
      return "fqdn";
    case kIdUserFqdn:
      return "user_fqdn";
    case kIdKeyId:
      return "keyid";
    case kIdDerAsn1Dn:
      return "asn1dn";
    default:
      return "ID type " + std::to_string(id_type);
  }
}

std::string IdentityText(const IdentificationPayload& id) {
  if (id.id_type == kIdIpv4Address && id.data.size() == kIpv4AddressBytes) {
    return Ipv4Address::FromBytes(id.data).ToString();
  }
  if (id.id_type == kIdDerAsn1Dn) {
    return crypto::DistinguishedNameText(id.data);
  }
  if (IsPrintable(id.data)) {
    return BytesText(id.data);
  }
  return "0x" + ToHex(id.data);
}

std::string DescribeIdentity(const IdentificationPayload& id) {
  return IdTypeName(id.id_type) + " \"" + IdentityText(id) + "\"";
}

std::string DescribeIdentifier(const config::Identifier& identifier) {
  const std::string type = IdTypeName(IdTypeFor(identifier.type));
  if (identifier.value.empty()) {
    return type + (identifier.type == config::IdentifierType::kAddress ? " (the peer's address)"
                                                                        : " (the peer's certificate subject)");
  }
  return type + " \"" + identifier.value + "\"";
}

Result<void> CheckCertificateCarriesId(const IdentificationPayload& id, const crypto::Certificate& certificate) {
  switch (id.id_type) {
    case kIdDerAsn1Dn:
      if (!crypto::SameDistinguishedName(id.data, certificate.SubjectDer())) {
        return NotInCertificate(id, certificate, "the subject");
      }
      return {};
    case kIdIpv4Address:
      if (!Contains(certificate.AltNames().ip_addresses, id.data)) {
        return NotInCertificate(id, certificate, "an IP address subjectAltName");
      }
      return {};
    case kIdFqdn: {
      const std::string name = BytesText(id.data);
      const crypto::SubjectAltNames alt_names = certificate.AltNames();
      if (std::ranges::none_of(alt_names.dns_names,
                               [&](const std::string& dns) { return EqualIgnoringAsciiCase(dns, name); })) {
        return NotInCertificate(id, certificate, "a DNS subjectAltName");
      }
      return {};
    }
    case kIdUserFqdn: {
      const crypto::SubjectAltNames alt_names = certificate.AltNames();
      if (!Contains(alt_names.emails, BytesText(id.data))) {
        return NotInCertificate(id, certificate, "an email (rfc822Name) subjectAltName");
      }
      return {};
    }
    default:
      return Fail(ErrorCode::kAuthenticationFailed,
                  "the peer's ID " + DescribeIdentity(id) +
                      " cannot be checked against a certificate; the peer must use asn1dn, address, fqdn or "
                      "user_fqdn, or set verify_cert off",
                  kNotifyInvalidIdInformation);
  }
}

Result<void> CheckPeersIdentifier(const IdentificationPayload& id, const config::Identifier& expected,
                                  Ipv4Address peer_address, const crypto::Certificate* peer_certificate) {
  const std::string expected_text = DescribeIdentifier(expected);
  if (id.id_type != IdTypeFor(expected.type)) {
    return IdMismatch(id, expected_text);
  }
  switch (expected.type) {
    case config::IdentifierType::kAddress: {
      auto address = IdentifierAddress(expected, peer_address, "peers_identifier");
      if (!address) {
        return std::unexpected(address.error());
      }
      return id.data == address->ToBytes() ? Result<void>{} : IdMismatch(id, expected_text);
    }
    case config::IdentifierType::kFqdn:
      return EqualIgnoringAsciiCase(BytesText(id.data), expected.value) ? Result<void>{}
                                                                       : IdMismatch(id, expected_text);
    case config::IdentifierType::kUserFqdn:
    case config::IdentifierType::kKeyId:
      return BytesText(id.data) == expected.value ? Result<void>{} : IdMismatch(id, expected_text);
    case config::IdentifierType::kAsn1Dn: {
      if (expected.value.empty()) {
        if (peer_certificate == nullptr || !crypto::SameDistinguishedName(id.data, peer_certificate->SubjectDer())) {
          return IdMismatch(id, expected_text);
        }
        return {};
      }
      auto pattern = crypto::DistinguishedNamePattern::Parse(expected.value);
      if (!pattern) {
        return std::unexpected(pattern.error());
      }
      return pattern->Matches(id.data) ? Result<void>{} : IdMismatch(id, expected_text);
    }
  }
  return IdMismatch(id, expected_text);
}

}  // namespace ipop::ike
