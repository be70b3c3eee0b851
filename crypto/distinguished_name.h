// Distinguished names written as text in racoon.conf (`my_identifier asn1dn
// "..."`, `peers_identifier asn1dn "..."`), and their comparison with the
// DER Names that ID_DER_ASN1_DN payloads and certificates carry.
//
// Text forms accepted, with RDNs in DER order (most significant first, the
// order racoon uses, not the reversed order of RFC 4514):
//   C=US, O=Example, CN=host   racoon's form: RDNs separated by commas
//   /C=US/O=Example/CN=host    the one-line form racoon and OpenSSL print
// A `+` joins attributes into one multi-valued RDN, and a backslash takes
// the next character literally.
#ifndef IPOP_CRYPTO_DISTINGUISHED_NAME_H_
#define IPOP_CRYPTO_DISTINGUISHED_NAME_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace ipop::crypto {

// A parsed DN text. In a peers_identifier pattern, a value of exactly `*`
// matches any value of that attribute.
class DistinguishedNamePattern {
 public:
  // Fails with kInvalidArgument naming the piece of text that is wrong: an
  // empty RDN, a missing `=`, or an attribute type OpenSSL does not know.
  static Result<DistinguishedNamePattern> Parse(std::string_view text);

  // True when the DER Name `der` has the same RDNs in the same order, each
  // with the same attribute types. Every value must equal the pattern's
  // after RFC 5280 §7.1 preparation (string type, ASCII case and repeated
  // spaces do not matter), unless the pattern's value is `*`. The
  // attributes inside one multi-valued RDN may come in any order. False
  // when `der` does not parse.
  bool Matches(ByteView der) const;

  // Encodes the name as a DER Name with UTF8String values (PrintableString
  // where the attribute type requires it, such as countryName). Fails when
  // a value is the wildcard `*` or OpenSSL rejects a value for its type.
  Result<Bytes> ToDer() const;

  bool has_wildcard() const;
  const std::string& text() const { return text_; }

 private:
  struct Attribute {
    int nid = 0;  // OpenSSL's number for the attribute type
    std::string value;
  };
  using Rdn = std::vector<Attribute>;

  std::string text_;
  std::vector<Rdn> rdns_;
};

// The one-line "/O=example/CN=host" form of a DER Name, as racoon logs it,
// or "(invalid DN)" when it does not parse.
std::string DistinguishedNameText(ByteView der);

}  // namespace ipop::crypto

#endif  // IPOP_CRYPTO_DISTINGUISHED_NAME_H_
