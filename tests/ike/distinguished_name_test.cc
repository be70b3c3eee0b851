// An ID_DER_ASN1_DN identity must match the peer's certificate subject even
// when the two encode the same name with different string types. The DER
// below is built by hand from X.690 and RFC 5280 §4.1.2.4:
//   Name ::= SEQUENCE OF SET { SEQUENCE { OID 2.5.4.x, STRING } }
// with tag 0x13 for PrintableString (strongSwan 5.9's encoding of
// "CN=10.77.0.1") and 0x0c for UTF8String (the openssl CLI's default).
#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>

#include "crypto/distinguished_name.h"
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

// Prefixes `body` with `tag` and a one-byte length. All lengths here stay
// below 128, so each fits in one byte.
Bytes Tagged(uint8_t tag, const Bytes& body) {
  Bytes der{std::byte{tag}, std::byte(body.size())};
  der.insert(der.end(), body.begin(), body.end());
  return der;
}

// AttributeTypeAndValue ::= SEQUENCE { OID 2.5.4.x, STRING }
Bytes AttributeDer(uint8_t string_tag, const Attribute& attribute) {
  Bytes type_and_value = HexToBytes("06035504");
  type_and_value.push_back(std::byte{attribute.id_at});
  Bytes value;
  for (char c : attribute.value) {
    value.push_back(std::byte(c));
  }
  const Bytes string = Tagged(string_tag, value);
  type_and_value.insert(type_and_value.end(), string.begin(), string.end());
  return Tagged(0x30, type_and_value);
}

// Encodes a Name with one RDN per attribute, every value with `string_tag`.
Bytes NameDer(uint8_t string_tag, std::initializer_list<Attribute> attributes) {
  Bytes rdns;
  for (const Attribute& attribute : attributes) {
    const Bytes rdn = Tagged(0x31, AttributeDer(string_tag, attribute));
    rdns.insert(rdns.end(), rdn.begin(), rdn.end());
  }
  return Tagged(0x30, rdns);
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

// Encodes a Name whose RDNs may contain several attributes, in the order
// given (BER allows any order inside a SET, DER would sort it).
Bytes MultiValuedNameDer(uint8_t string_tag, std::initializer_list<std::initializer_list<Attribute>> rdns) {
  Bytes body;
  for (const auto& rdn : rdns) {
    Bytes set;
    for (const Attribute& attribute : rdn) {
      const Bytes encoded = AttributeDer(string_tag, attribute);
      set.insert(set.end(), encoded.begin(), encoded.end());
    }
    const Bytes tagged_set = Tagged(0x31, set);
    body.insert(body.end(), tagged_set.begin(), tagged_set.end());
  }
  return Tagged(0x30, body);
}

constexpr uint8_t kOrganizationalUnit = 11;

crypto::DistinguishedNamePattern Pattern(std::string_view text) {
  auto pattern = crypto::DistinguishedNamePattern::Parse(text);
  EXPECT_TRUE(pattern.has_value()) << text << ": " << pattern.error().detail;
  return pattern.value_or(*crypto::DistinguishedNamePattern::Parse("CN=unused"));
}

TEST(DistinguishedNameTest, MultiValuedRdnMatchesAcrossOrderAndType) {
  const Bytes printable = MultiValuedNameDer(kPrintableString, {{{10, "org"}}, {{3, "host"}, {kOrganizationalUnit, "unit"}}});
  const Bytes utf8 = MultiValuedNameDer(kUtf8String, {{{10, "org"}}, {{kOrganizationalUnit, "unit"}, {3, "host"}}});
  EXPECT_TRUE(crypto::SameDistinguishedName(printable, utf8));
  EXPECT_TRUE(Pattern("O=org, OU=unit+CN=host").Matches(printable));
  EXPECT_TRUE(Pattern("O=org, CN=host + OU=unit").Matches(utf8));
}

TEST(DistinguishedNameTest, MultiValuedRdnDiffersFromSeparateRdns) {
  const Bytes multi = MultiValuedNameDer(kUtf8String, {{{10, "org"}}, {{3, "host"}, {kOrganizationalUnit, "unit"}}});
  const Bytes separate = NameDer(kUtf8String, {{10, "org"}, {kOrganizationalUnit, "unit"}, {3, "host"}});
  EXPECT_FALSE(crypto::SameDistinguishedName(multi, separate));
  EXPECT_FALSE(Pattern("O=org, OU=unit, CN=host").Matches(multi));
  EXPECT_TRUE(Pattern("O=org, OU=unit, CN=host").Matches(separate));
}

TEST(DistinguishedNameTest, PatternIgnoresCaseSpacesAndStringType) {
  const Bytes name = NameDer(kPrintableString, {{10, "Ipop  Test"}, {3, "Host.Example"}});
  EXPECT_TRUE(Pattern("O=ipop test, CN=host.example").Matches(name));
  EXPECT_TRUE(Pattern("/O= IPOP TEST /CN=HOST.EXAMPLE").Matches(name));
  EXPECT_FALSE(Pattern("O=ipop test, CN=host.example.org").Matches(name));
}

TEST(DistinguishedNameTest, WildcardMatchesOneValue) {
  const Bytes name = NameDer(kUtf8String, {{10, "org"}, {3, "host"}});
  EXPECT_TRUE(Pattern("O=org, CN=*").Matches(name));
  EXPECT_TRUE(Pattern("O=*, CN=*").Matches(name));
  EXPECT_FALSE(Pattern("O=other, CN=*").Matches(name));
  EXPECT_FALSE(Pattern("O=org, OU=*, CN=*").Matches(name));  // one RDN more
  EXPECT_FALSE(Pattern("O=org, OU=*").Matches(name));        // another type
  EXPECT_FALSE(Pattern("CN=*").Matches(name));
}

TEST(DistinguishedNameTest, WildcardLeavesExactValueItsAttribute) {
  // An exact CN must find its attribute even when a wildcard CN comes first.
  const Bytes name = MultiValuedNameDer(kUtf8String, {{{3, "a"}, {3, "b"}}});
  EXPECT_TRUE(Pattern("CN=*+CN=a").Matches(name));
  EXPECT_FALSE(Pattern("CN=*+CN=c").Matches(name));
}

TEST(DistinguishedNameTest, EscapedSeparatorsStayInValue) {
  const Bytes name = NameDer(kUtf8String, {{10, "a, b/c"}, {3, "host"}});
  EXPECT_TRUE(Pattern("O=a\\, b/c, CN=host").Matches(name));
  EXPECT_TRUE(Pattern("/O=a, b\\/c/CN=host").Matches(name));
}

TEST(DistinguishedNameTest, ToDerEqualsOpensslCliSubject) {
  // b.pem was made by `openssl req -subj "/O=ipop-esp test/CN=b.example"`,
  // which encodes both values as UTF8String, as ToDer does.
  auto certificate = crypto::Certificate::LoadPemFile(std::string(IPOP_TEST_DATA_DIR) + "/ike/data/identity/b.pem");
  ASSERT_TRUE(certificate.has_value()) << certificate.error().detail;
  auto der = Pattern("O=ipop-esp test, CN=b.example").ToDer();
  ASSERT_TRUE(der.has_value()) << der.error().detail;
  EXPECT_EQ(ToHex(*der), ToHex(certificate->SubjectDer()));
  EXPECT_EQ(crypto::DistinguishedNameText(*der), "/O=ipop-esp test/CN=b.example");
}

TEST(DistinguishedNameTest, ToDerUsesPrintableStringForCountry) {
  auto der = Pattern("C=US, CN=host").ToDer();
  ASSERT_TRUE(der.has_value()) << der.error().detail;
  // countryName (2.5.4.6) as PrintableString "US", RFC 5280 Appendix A.1.
  EXPECT_NE(ToHex(*der).find("0603550406" "13025553"), std::string::npos) << ToHex(*der);
}

TEST(DistinguishedNameTest, ToDerRejectsWildcard) {
  auto der = Pattern("O=org, CN=*").ToDer();
  ASSERT_FALSE(der.has_value());
  EXPECT_NE(der.error().detail.find("only applies to peers_identifier"), std::string::npos) << der.error().detail;
}

TEST(DistinguishedNameTest, ParseRejectsInvalidText) {
  for (std::string_view text : {"", "/", "CN", "O=org, =x", "XYZZY=1"}) {
    auto pattern = crypto::DistinguishedNamePattern::Parse(text);
    EXPECT_FALSE(pattern.has_value()) << text;
  }
  auto unknown = crypto::DistinguishedNamePattern::Parse("O=org, XYZZY=1");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().detail.find("unknown attribute type \"XYZZY\""), std::string::npos)
      << unknown.error().detail;
}

TEST(DistinguishedNameTest, TextOfInvalidDer) { EXPECT_EQ(crypto::DistinguishedNameText(Bytes{std::byte{0x30}}), "(invalid DN)"); }

}  // namespace
}  // namespace ipop::ike::test
