#include "ike/payload_sa.h"

#include <gtest/gtest.h>

namespace ipop::ike {
namespace {

// The SA payload body of Main Mode message 1 in the racoon capture
// (racoon-a.log, "total SA len=48"): one ISAKMP proposal, one KEY_IKE
// transform with life 28800 s, 3DES, RSA signatures, SHA1, MODP-1024.
constexpr char kRacoonPhase1SaHex[] =
    "00000001 00000001"
    "00000028 01010001"
    "00000020 01010000 800b0001 800c7080 80010005 80030003 80020002 80040002";

// Two alternatives for ESP: proposal 1 is ESP (3DES/HMAC-SHA1) AND IPComp,
// proposal 2 is ESP with AES-128 and a variable-length life duration.
SaPayload EspAndIpcompOffer() {
  Transform esp_3des{.number = 1,
                     .transform_id = kTransformEsp3des,
                     .attributes = {DataAttribute::Basic(kIpsecAttributeSaLifeType, kIpsecLifeTypeSeconds),
                                    DataAttribute::Basic(kIpsecAttributeSaLifeDuration, 3600),
                                    DataAttribute::Basic(kIpsecAttributeEncapsulationMode, kEncapsulationTransport),
                                    DataAttribute::Basic(kIpsecAttributeAuthenticationAlgorithm, kAuthHmacSha1),
                                    DataAttribute::Basic(kIpsecAttributeGroupDescription, kIkeGroupModp1024)}};
  Transform deflate{.number = 1, .transform_id = kTransformIpcompDeflate, .attributes = {}};
  Transform esp_aes{
      .number = 1,
      .transform_id = kTransformEspAes,
      .attributes = {DataAttribute::Basic(kIpsecAttributeSaLifeType, kIpsecLifeTypeSeconds),
                     DataAttribute::Variable(kIpsecAttributeSaLifeDuration, HexToBytes("00015180")),
                     DataAttribute::Basic(kIpsecAttributeKeyLength, 128),
                     DataAttribute::Basic(kIpsecAttributeAuthenticationAlgorithm, kAuthHmacSha2_256)}};
  SaPayload payload;
  payload.proposals = {
      Proposal{.number = 1, .protocol_id = kProtocolEsp, .spi = HexToBytes("0a0b0c0d"), .transforms = {esp_3des}},
      Proposal{.number = 1, .protocol_id = kProtocolIpcomp, .spi = HexToBytes("1234"), .transforms = {deflate}},
      Proposal{.number = 2, .protocol_id = kProtocolEsp, .spi = HexToBytes("0a0b0c0e"), .transforms = {esp_aes}},
  };
  return payload;
}

TEST(SaPayloadTest, ParsesRacoonPhase1Offer) {
  const auto payload = ParseSaPayload(HexToBytes(kRacoonPhase1SaHex));
  ASSERT_TRUE(payload.has_value()) << ToString(payload.error());
  EXPECT_EQ(payload->doi, kDoiIpsec);
  EXPECT_EQ(payload->situation, kSituationIdentityOnly);
  ASSERT_EQ(payload->proposals.size(), 1u);

  const Proposal& proposal = payload->proposals[0];
  EXPECT_EQ(proposal.number, 1);
  EXPECT_EQ(proposal.protocol_id, kProtocolIsakmp);
  EXPECT_TRUE(proposal.spi.empty());
  ASSERT_EQ(proposal.transforms.size(), 1u);

  const Transform& transform = proposal.transforms[0];
  EXPECT_EQ(transform.number, 1);
  EXPECT_EQ(transform.transform_id, kTransformKeyIke);
  ASSERT_EQ(transform.attributes.size(), 6u);
  const struct {
    uint16_t type;
    uint16_t value;
  } expected[] = {
      {kIkeAttributeLifeType, kIkeLifeTypeSeconds},
      {kIkeAttributeLifeDuration, 28800},
      {kIkeAttributeEncryptionAlgorithm, kIkeEncryption3desCbc},
      {kIkeAttributeAuthenticationMethod, kIkeAuthRsaSignature},
      {kIkeAttributeHashAlgorithm, kIkeHashSha1},
      {kIkeAttributeGroupDescription, kIkeGroupModp1024},
  };
  for (size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_TRUE(transform.attributes[i].basic) << "attribute " << i;
    EXPECT_EQ(transform.attributes[i].type, expected[i].type) << "attribute " << i;
    EXPECT_EQ(transform.attributes[i].basic_value, expected[i].value) << "attribute " << i;
  }
  ASSERT_NE(transform.Find(kIkeAttributeLifeDuration), nullptr);
  EXPECT_EQ(transform.Find(kIkeAttributeLifeDuration)->AsInteger(), 28800u);
  EXPECT_EQ(transform.Find(kIkeAttributeKeyLength), nullptr);
}

TEST(SaPayloadTest, RacoonOfferEncodesToSameBytes) {
  const Bytes original = HexToBytes(kRacoonPhase1SaHex);
  const auto payload = ParseSaPayload(original);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(ToHex(EncodeBody(*payload)), ToHex(original));
}

TEST(SaPayloadTest, RoundTripsNestedProposals) {
  const SaPayload offer = EspAndIpcompOffer();
  const auto parsed = ParseSaPayload(EncodeBody(offer));
  ASSERT_TRUE(parsed.has_value()) << ToString(parsed.error());
  EXPECT_EQ(*parsed, offer);
}

TEST(SaPayloadTest, VariableAttributeReadsAsInteger) {
  const auto parsed = ParseSaPayload(EncodeBody(EspAndIpcompOffer()));
  ASSERT_TRUE(parsed.has_value());
  const DataAttribute* duration = parsed->proposals[2].transforms[0].Find(kIpsecAttributeSaLifeDuration);
  ASSERT_NE(duration, nullptr);
  EXPECT_FALSE(duration->basic);
  EXPECT_EQ(duration->AsInteger(), 86400u);
  EXPECT_FALSE(DataAttribute::Variable(1, Bytes(9, std::byte{1})).AsInteger().has_value());
  EXPECT_FALSE(DataAttribute::Variable(1, {}).AsInteger().has_value());
}

TEST(SaPayloadTest, EncodesAttributeFormats) {
  SaPayload payload;
  payload.proposals = {Proposal{
      .number = 1,
      .protocol_id = kProtocolEsp,
      .spi = HexToBytes("01020304"),
      .transforms = {Transform{.number = 1,
                               .transform_id = kTransformEspAesGcm16,
                               .attributes = {DataAttribute::Basic(kIpsecAttributeKeyLength, 256),
                                              DataAttribute::Variable(kIpsecAttributeSaLifeDuration,
                                                                      HexToBytes("00015180"))}}}}};
  // RFC 2408 §3.3: AF=1 gives 0x8006 0x0100; AF=0 gives type 2, length 4.
  EXPECT_EQ(ToHex(EncodeBody(payload)),
            "00000001" "00000001"
            "00000020" "01030401" "01020304"
            "00000014" "01140000" "80060100" "00020004" "00015180");
}

TEST(SaPayloadTest, GroupsProposalsByNumber) {
  const SaPayload offer = EspAndIpcompOffer();
  const auto groups = GroupProposals(offer);
  ASSERT_EQ(groups.size(), 2u);
  ASSERT_EQ(groups[0].size(), 2u);
  EXPECT_EQ(groups[0][0]->protocol_id, kProtocolEsp);
  EXPECT_EQ(groups[0][1]->protocol_id, kProtocolIpcomp);
  ASSERT_EQ(groups[1].size(), 1u);
  EXPECT_EQ(groups[1][0]->transforms[0].transform_id, kTransformEspAes);
}

TEST(SaPayloadTest, TruncationAtEveryByteFails) {
  for (const Bytes& encoded : {HexToBytes(kRacoonPhase1SaHex), EncodeBody(EspAndIpcompOffer())}) {
    for (size_t size = 0; size < encoded.size(); ++size) {
      const auto parsed = ParseSaPayload(ByteView(encoded).first(size));
      ASSERT_FALSE(parsed.has_value()) << "size " << size << " of " << encoded.size();
      EXPECT_EQ(parsed.error().notify, kNotifyBadProposalSyntax) << "size " << size;
    }
  }
}

struct SaDefect {
  const char* name;
  size_t offset;  // into kRacoonPhase1SaHex
  uint8_t value;
  uint16_t expected_notify;
};

TEST(SaPayloadTest, RejectsEachDefect) {
  const SaDefect defects[] = {
      {"DOI 2", 3, 2, kNotifyDoiNotSupported},
      {"situation SECRECY", 7, 2, kNotifySituationNotSupported},
      {"proposal next payload 3", 8, 3, kNotifyBadProposalSyntax},
      {"proposal next payload 2 without another", 8, 2, kNotifyBadProposalSyntax},
      {"proposal RESERVED", 9, 1, kNotifyBadProposalSyntax},
      {"proposal length too long", 11, 0x29, kNotifyBadProposalSyntax},
      {"proposal length too short", 11, 0x27, kNotifyBadProposalSyntax},
      {"proposal length below header", 11, 0x07, kNotifyBadProposalSyntax},
      {"SPI size beyond proposal", 14, 0x30, kNotifyBadProposalSyntax},
      {"two transforms declared", 15, 2, kNotifyBadProposalSyntax},
      {"zero transforms declared", 15, 0, kNotifyBadProposalSyntax},
      {"transform next payload 2", 16, 2, kNotifyBadProposalSyntax},
      {"transform RESERVED", 17, 1, kNotifyBadProposalSyntax},
      {"transform length odd", 19, 0x1f, kNotifyBadProposalSyntax},
      {"transform RESERVED2", 23, 1, kNotifyBadProposalSyntax},
      {"variable attribute overruns", 24, 0x00, kNotifyBadProposalSyntax},
  };
  for (const SaDefect& defect : defects) {
    Bytes bytes = HexToBytes(kRacoonPhase1SaHex);
    bytes[defect.offset] = std::byte{defect.value};
    const auto parsed = ParseSaPayload(bytes);
    ASSERT_FALSE(parsed.has_value()) << defect.name;
    EXPECT_EQ(parsed.error().notify, defect.expected_notify) << defect.name << ": " << parsed.error().detail;
  }
}

TEST(SaPayloadTest, RejectsBytesAfterLastProposal) {
  Bytes bytes = HexToBytes(kRacoonPhase1SaHex);
  bytes.push_back(std::byte{0});
  const auto parsed = ParseSaPayload(bytes);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().notify, kNotifyBadProposalSyntax);
}

}  // namespace
}  // namespace ipop::ike
