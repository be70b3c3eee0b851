// An ID_DER_ASN1_DN identity must match the peer's certificate subject even
// when the two encode the same name with different string types. The DER
// below is built by hand from X.690 and RFC 5280 §4.1.2.4:
//   Name ::= SEQUENCE OF SET { SEQUENCE { OID 2.5.4.x, STRING } }
// with tag 0x13 for PrintableString (strongSwan 5.9's encoding of
// "CN=10.77.0.1") and 0x0c for UTF8String (the openssl CLI's default).
#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>

#include "crypto/x509.h"
#include "tests/ike/exchange_harness.h"

namespace ipop::ike::test {
namespace {

// One attribute of a Name: the last byte of its OID under 2.5.4 (id-at) and
// its value.
struct Attribute {
  uint8_t id_at;  // 3 = commonName, 10 = organizationName
  std::string_view value;
};

// Encodes a Name with one RDN per attribute, every value with `string_tag`.
// All lengths stay below 128, so each fits in one byte.
Bytes NameDer(uint8_t string_tag, std::initializer_list<Attribute> attributes) {
  Bytes rdns;
  for (const Attribute& attribute : attributes) {
    Bytes type_and_value = HexToBytes("06035504");
    type_and_value.push_back(std::byte{attribute.id_at});
    type_and_value.push_back(std::byte{string_tag});
    type_and_value.push_back(std::byte(attribute.value.size()));
    for (char c : attribute.value) {
      type_and_value.push_back(std::byte(c));
    }
    rdns.push_back(std::byte{0x31});
    rdns.push_back(std::byte(type_and_value.size() + 2));
    rdns.push_back(std::byte{0x30});
    rdns.push_back(std::byte(type_and_value.size()));
    rdns.insert(rdns.end(), type_and_value.begin(), type_and_value.end());
  }
  Bytes der{std::byte{0x30}, std::byte(rdns.size())};
  der.insert(der.end(), rdns.begin(), rdns.end());
  return der;
}

Bytes CommonNameDer(uint8_t string_tag, std::string_view value) { return NameDer(string_tag, {{3, value}}); }

constexpr uint8_t kPrintableString = 0x13;
constexpr uint8_t kUtf8String = 0x0c;

TEST(DistinguishedNameTest, PrintableAndUtf8StringsMatch) {
  EXPECT_TRUE(crypto::SameDistinguishedName(CommonNameDer(kPrintableString, "10.77.0.1"),
                                            CommonNameDer(kUtf8String, "10.77.0.1")));
}

TEST(DistinguishedNameTest, CertificateSubjectMatchesPrintableId) {
  auto certificate = crypto::Certificate::LoadPemFile(kCertDir + "/10.77.0.1/cert.pem");
  ASSERT_TRUE(certificate.has_value()) << certificate.error().detail;

  // The vector certificate's subject is O=rh-racoon-harness, CN=10.77.0.1,
  // both UTF8String (openssl x509 -nameopt show_type).
  EXPECT_TRUE(crypto::SameDistinguishedName(
      NameDer(kPrintableString, {{10, "rh-racoon-harness"}, {3, "10.77.0.1"}}), certificate->SubjectDer()));
  EXPECT_FALSE(crypto::SameDistinguishedName(
      NameDer(kPrintableString, {{10, "rh-racoon-harness"}, {3, "10.77.0.2"}}), certificate->SubjectDer()));
  EXPECT_FALSE(crypto::SameDistinguishedName(CommonNameDer(kPrintableString, "10.77.0.1"),
                                             certificate->SubjectDer()));
}

TEST(DistinguishedNameTest, DifferentValuesDiffer) {
  EXPECT_FALSE(crypto::SameDistinguishedName(CommonNameDer(kUtf8String, "10.77.0.1"),
                                             CommonNameDer(kUtf8String, "10.77.0.10")));
}

TEST(DistinguishedNameTest, MalformedDerNeverMatches) {
  const Bytes valid = CommonNameDer(kUtf8String, "10.77.0.1");
  const Bytes truncated(valid.begin(), valid.end() - 1);
  Bytes trailing = valid;
  trailing.push_back(std::byte{0});

  EXPECT_FALSE(crypto::SameDistinguishedName(truncated, valid));
  EXPECT_FALSE(crypto::SameDistinguishedName(valid, trailing));
  EXPECT_FALSE(crypto::SameDistinguishedName(Bytes{}, Bytes{}));
}

}  // namespace
}  // namespace ipop::ike::test
