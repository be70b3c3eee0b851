// Round trips and truncation for every payload except SA (payload_sa_test.cc).
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "ike/payload_certificate.h"
#include "ike/payload_certificate_request.h"
#include "ike/payload_delete.h"
#include "ike/payload_hash.h"
#include "ike/payload_identification.h"
#include "ike/payload_key_exchange.h"
#include "ike/payload_nat_d.h"
#include "ike/payload_nat_oa.h"
#include "ike/payload_nonce.h"
#include "ike/payload_notification.h"
#include "ike/payload_signature.h"
#include "ike/payload_vendor_id.h"

namespace ipop::ike {
namespace {

// Parses every proper prefix of `encoded`. A prefix must either fail or
// decode to a payload that encodes back to exactly that prefix: a parser may
// accept a shorter opaque payload, but never invent or drop bytes. With
// `prefixes_must_fail`, every prefix must fail.
template <typename Payload>
void CheckTruncation(const Bytes& encoded, Result<Payload> (*parse)(ByteView), bool prefixes_must_fail,
                     const std::string& name) {
  for (size_t size = 0; size < encoded.size(); ++size) {
    const ByteView prefix = ByteView(encoded).first(size);
    const auto parsed = parse(prefix);
    if (prefixes_must_fail) {
      EXPECT_FALSE(parsed.has_value()) << name << " prefix of " << size << " bytes parsed";
      continue;
    }
    if (parsed.has_value()) {
      EXPECT_EQ(ToHex(EncodeBody(*parsed)), ToHex(prefix)) << name << " prefix of " << size << " bytes";
    }
  }
}

template <typename Payload>
void CheckRoundTrip(const Payload& payload, Result<Payload> (*parse)(ByteView), const std::string& expected_hex) {
  const Bytes encoded = EncodeBody(payload);
  EXPECT_EQ(ToHex(encoded), expected_hex);
  const auto parsed = parse(encoded);
  ASSERT_TRUE(parsed.has_value()) << ToString(parsed.error());
  EXPECT_EQ(*parsed, payload);
}

TEST(KeyExchangePayloadTest, RoundTrip) {
  CheckRoundTrip(KeyExchangePayload{.public_value = HexToBytes("8a8e24c4")}, ParseKeyExchangePayload, "8a8e24c4");
}

TEST(KeyExchangePayloadTest, RejectsEmpty) {
  EXPECT_FALSE(ParseKeyExchangePayload({}).has_value());
  CheckTruncation(HexToBytes("0102"), ParseKeyExchangePayload, false, "KE");
}

TEST(NoncePayloadTest, RoundTrip) {
  CheckRoundTrip(NoncePayload{.data = HexToBytes("bfea8751b11f47e31a27e0ae715f5616")}, ParseNoncePayload,
                 "bfea8751b11f47e31a27e0ae715f5616");
}

TEST(NoncePayloadTest, EnforcesSizeLimits) {
  EXPECT_TRUE(ParseNoncePayload(Bytes(kMinNonceSize, std::byte{1})).has_value());
  EXPECT_TRUE(ParseNoncePayload(Bytes(kMaxNonceSize, std::byte{1})).has_value());

  const auto too_short = ParseNoncePayload(Bytes(7, std::byte{1}));
  ASSERT_FALSE(too_short.has_value());
  EXPECT_EQ(too_short.error().detail, "nonce too short (7 < 8)");
  EXPECT_EQ(too_short.error().notify, kNotifyPayloadMalformed);

  const auto too_long = ParseNoncePayload(Bytes(257, std::byte{1}));
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(too_long.error().detail, "nonce too long (257 > 256)");
}

TEST(NoncePayloadTest, TruncationFailsBelowMinimum) {
  const Bytes encoded(16, std::byte{7});
  CheckTruncation(encoded, ParseNoncePayload, false, "NONCE");
  for (size_t size = 0; size < kMinNonceSize; ++size) {
    EXPECT_FALSE(ParseNoncePayload(ByteView(encoded).first(size)).has_value()) << size;
  }
}

TEST(HashPayloadTest, RoundTrip) {
  CheckRoundTrip(HashPayload{.data = HexToBytes("005a344c2bfc118e419f95c14687465c56b6efc5")}, ParseHashPayload,
                 "005a344c2bfc118e419f95c14687465c56b6efc5");
  CheckTruncation(HexToBytes("005a344c"), ParseHashPayload, false, "HASH");
}

TEST(SignaturePayloadTest, RoundTrip) {
  CheckRoundTrip(SignaturePayload{.data = HexToBytes("0102030405")}, ParseSignaturePayload, "0102030405");
  EXPECT_FALSE(ParseSignaturePayload({}).has_value());
  CheckTruncation(HexToBytes("0102030405"), ParseSignaturePayload, false, "SIG");
}

TEST(VendorIdPayloadTest, RoundTrip) {
  CheckRoundTrip(VendorIdPayload{.data = HexToBytes("afcad71368a1f1c96b8696fc77570100")}, ParseVendorIdPayload,
                 "afcad71368a1f1c96b8696fc77570100");
  CheckTruncation(HexToBytes("afcad713"), ParseVendorIdPayload, false, "VID");
}

TEST(NatDPayloadTest, RoundTrip) {
  CheckRoundTrip(NatDPayload{.hash = HexToBytes("de3e5f13af79588ed7c4ade8617ad4c582056652")}, ParseNatDPayload,
                 "de3e5f13af79588ed7c4ade8617ad4c582056652");
  EXPECT_FALSE(ParseNatDPayload({}).has_value());
  CheckTruncation(HexToBytes("de3e5f13"), ParseNatDPayload, false, "NAT-D");
}

TEST(CertificatePayloadTest, RoundTrip) {
  CheckRoundTrip(CertificatePayload{.encoding = kCertEncodingX509Signature, .data = HexToBytes("308203")},
                 ParseCertificatePayload, "04308203");
}

TEST(CertificatePayloadTest, RejectsMissingData) {
  EXPECT_FALSE(ParseCertificatePayload({}).has_value());
  EXPECT_FALSE(ParseCertificatePayload(HexToBytes("04")).has_value());
  CheckTruncation(HexToBytes("04308203"), ParseCertificatePayload, false, "CERT");
}

TEST(CertificateRequestPayloadTest, RoundTrip) {
  CheckRoundTrip(CertificateRequestPayload{.certificate_type = kCertEncodingX509Signature,
                                           .authority = HexToBytes("3036311a")},
                 ParseCertificateRequestPayload, "043036311a");
  CheckRoundTrip(CertificateRequestPayload{.certificate_type = kCertEncodingX509Signature, .authority = {}},
                 ParseCertificateRequestPayload, "04");
  EXPECT_FALSE(ParseCertificateRequestPayload({}).has_value());
  CheckTruncation(HexToBytes("043036311a"), ParseCertificateRequestPayload, false, "CR");
}

TEST(IdentificationPayloadTest, RoundTripsIpv4Address) {
  const auto id = IdentificationPayload::FromIpv4Address(*Ipv4Address::Parse("10.77.0.1"), 17, 500);
  CheckRoundTrip(id, ParseIdentificationPayload, "011101f40a4d0001");
  const auto prefix = id.ToIpv4Prefix();
  ASSERT_TRUE(prefix.has_value());
  EXPECT_EQ(prefix->ToString(), "10.77.0.1/32");
  CheckTruncation(EncodeBody(id), ParseIdentificationPayload, true, "ID_IPV4_ADDR");
}

TEST(IdentificationPayloadTest, RoundTripsIpv4Subnet) {
  const Ipv4Prefix subnet{*Ipv4Address::Parse("192.168.1.0"), 16};
  const auto id = IdentificationPayload::FromIpv4Subnet(subnet);
  // RFC 2407 §4.6.2.5: address then mask; host bits of 192.168.1.0/16 are
  // cleared as setkey does.
  CheckRoundTrip(id, ParseIdentificationPayload, "04000000c0a80000ffff0000");
  const auto prefix = id.ToIpv4Prefix();
  ASSERT_TRUE(prefix.has_value());
  EXPECT_EQ(prefix->ToString(), "192.168.0.0/16");
  CheckTruncation(EncodeBody(id), ParseIdentificationPayload, true, "ID_IPV4_ADDR_SUBNET");
}

TEST(IdentificationPayloadTest, RejectsNonContiguousMask) {
  const auto id = ParseIdentificationPayload(HexToBytes("04000000c0a80000ff00ff00"));
  ASSERT_TRUE(id.has_value());
  const auto prefix = id->ToIpv4Prefix();
  ASSERT_FALSE(prefix.has_value());
  EXPECT_EQ(prefix.error().notify, kNotifyInvalidIdInformation);
}

TEST(IdentificationPayloadTest, PrefixEdgeMasks) {
  const auto all = ParseIdentificationPayload(HexToBytes("040000000000000000000000"));
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->ToIpv4Prefix()->ToString(), "0.0.0.0/0");
  const auto host = ParseIdentificationPayload(HexToBytes("040000000a4d0002ffffffff"));
  ASSERT_TRUE(host.has_value());
  EXPECT_EQ(host->ToIpv4Prefix()->ToString(), "10.77.0.2/32");
}

TEST(IdentificationPayloadTest, RoundTripsDerAsn1Dn) {
  const Bytes dn = HexToBytes("3030311a301806035504");
  const auto id = IdentificationPayload::FromDerAsn1Dn(dn);
  CheckRoundTrip(id, ParseIdentificationPayload, "09000000" + ToHex(dn));
  EXPECT_FALSE(id.ToIpv4Prefix().has_value());
  // A DN may be any length, so a shorter one parses; it must stay a prefix.
  CheckTruncation(EncodeBody(id), ParseIdentificationPayload, false, "ID_DER_ASN1_DN");
}

TEST(IdentificationPayloadTest, RejectsWrongAddressLength) {
  for (const char* hex : {"01000000", "010000000a4d00", "010000000a4d000102", "04000000c0a80000ffff00",
                          "09000000", "020000"}) {
    const auto id = ParseIdentificationPayload(HexToBytes(hex));
    ASSERT_FALSE(id.has_value()) << hex;
    EXPECT_EQ(id.error().notify, kNotifyInvalidIdInformation) << hex;
  }
}

TEST(NotificationPayloadTest, RoundTripsInitialContact) {
  // INITIAL-CONTACT names the ISAKMP SA by both cookies, RFC 2407 §4.6.3.3.
  const NotificationPayload payload{.doi = kDoiIpsec,
                                    .protocol_id = kProtocolIsakmp,
                                    .notify_type = kNotifyInitialContact,
                                    .spi = HexToBytes("006d2aece15feaaaa0faf56f5877efde"),
                                    .data = {}};
  CheckRoundTrip(payload, ParseNotificationPayload, "00000001" "01" "10" "6002" "006d2aece15feaaaa0faf56f5877efde");
  CheckTruncation(EncodeBody(payload), ParseNotificationPayload, true, "N(INITIAL-CONTACT)");
}

TEST(NotificationPayloadTest, RoundTripsDpdWithData) {
  const NotificationPayload payload{.doi = kDoiIpsec,
                                    .protocol_id = kProtocolIsakmp,
                                    .notify_type = kNotifyDpdRUThere,
                                    .spi = HexToBytes("0102030405060708090a0b0c0d0e0f10"),
                                    .data = HexToBytes("0000002a")};
  CheckRoundTrip(payload, ParseNotificationPayload,
                 "00000001" "01" "10" "8d28" "0102030405060708090a0b0c0d0e0f10" "0000002a");
  // Notification data is opaque, so a cut inside it leaves shorter data.
  CheckTruncation(EncodeBody(payload), ParseNotificationPayload, false, "N(R-U-THERE)");
}

TEST(DeletePayloadTest, RoundTripsEspSpis) {
  const DeletePayload payload{.doi = kDoiIpsec,
                              .protocol_id = kProtocolEsp,
                              .spi_size = 4,
                              .spis = {HexToBytes("0aa9a22b"), HexToBytes("0c12e0f1")}};
  CheckRoundTrip(payload, ParseDeletePayload, "00000001" "03" "04" "0002" "0aa9a22b" "0c12e0f1");
  CheckTruncation(EncodeBody(payload), ParseDeletePayload, true, "D(ESP)");
}

TEST(DeletePayloadTest, RoundTripsIsakmpCookiePair) {
  const DeletePayload payload{.doi = kDoiIpsec,
                              .protocol_id = kProtocolIsakmp,
                              .spi_size = kSpiSizeIsakmpCookiePair,
                              .spis = {HexToBytes("006d2aece15feaaaa0faf56f5877efde")}};
  CheckRoundTrip(payload, ParseDeletePayload, "00000001" "01" "10" "0001" "006d2aece15feaaaa0faf56f5877efde");
  CheckTruncation(EncodeBody(payload), ParseDeletePayload, true, "D(ISAKMP)");
}

TEST(DeletePayloadTest, RejectsCountMismatch) {
  for (const char* hex : {"0000000103040003" "0aa9a22b0c12e0f1", "0000000103040001" "0aa9a22b0c12e0f1",
                          "0000000103040000", "0000000103000001"}) {
    const auto parsed = ParseDeletePayload(HexToBytes(hex));
    ASSERT_FALSE(parsed.has_value()) << hex;
    EXPECT_EQ(parsed.error().notify, kNotifyPayloadMalformed) << hex;
  }
}

TEST(NatOaPayloadTest, RoundTripsIpv4) {
  const auto payload = NatOaPayload::FromIpv4(*Ipv4Address::Parse("192.168.1.100"));
  CheckRoundTrip(payload, ParseNatOaPayload, "01000000c0a80164");
  CheckTruncation(EncodeBody(payload), ParseNatOaPayload, true, "NAT-OA");
}

TEST(NatOaPayloadTest, RejectsDefects) {
  for (const char* hex : {"01010000c0a80164", "01000001c0a80164", "02000000c0a80164", "05000000c0a80164",
                          "01000000c0a8016400"}) {
    EXPECT_FALSE(ParseNatOaPayload(HexToBytes(hex)).has_value()) << hex;
  }
  EXPECT_TRUE(ParseNatOaPayload(HexToBytes("05000000" + std::string(32, '1'))).has_value());
}

}  // namespace
}  // namespace ipop::ike
