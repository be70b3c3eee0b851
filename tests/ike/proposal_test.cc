// Proposal construction and selection, and their SA payload form checked
// against the SA payloads racoon sent in the vector capture (racoon-a.log).
#include <gtest/gtest.h>

#include "ike/payload_sa.h"
#include "ike/proposal.h"
#include "ike/sa_attributes.h"

namespace ipop::ike {
namespace {

// racoon's Main Mode SA body (racoon-a.log, message 1): 3DES, SHA1, RSA
// signatures, MODP-1024, 28800 s.
constexpr char kRacoonPhase1Sa[] =
    "00000001 00000001 00000028 01010001 00000020 01010000 800b0001 800c7080"
    "80010005 80030003 80020002 80040002";
// racoon's Quick Mode SA body (racoon-a.log, HASH(1) input): ESP SPI
// 0x097fda1a, 3DES, 28800 s, transport, HMAC-SHA1, MODP-1024.
constexpr char kRacoonEspSa[] =
    "00000001 00000001 00000028 01030401 097fda1a 0000001c 01030000 80010001"
    "80027080 80040002 80050002 80030002";

config::RemoteConfig RemoteWith(std::vector<config::Phase1Proposal> proposals) {
  config::RemoteConfig remote;
  remote.proposals = std::move(proposals);
  return remote;
}

config::SainfoConfig RacoonSainfo() {
  config::SainfoConfig sainfo;
  sainfo.ciphers = {crypto::EspCipher::k3desCbc};
  sainfo.cipher_key_bits = {0};
  sainfo.integrities = {crypto::EspIntegrity::kHmacSha1_96};
  sainfo.pfs_group = crypto::DhGroup::kModp1024;
  sainfo.lifetime = std::chrono::seconds(28800);
  return sainfo;
}

TEST(ProposalTest, Phase1SaMatchesRacoonBytes) {
  const config::RemoteConfig remote = RemoteWith({config::Phase1Proposal{}});
  EXPECT_EQ(ToHex(EncodeBody(EncodePhase1Sa(BuildPhase1Offer(remote)))), ToHex(HexToBytes(kRacoonPhase1Sa)));
}

TEST(ProposalTest, EspSaMatchesRacoonBytes) {
  const std::vector<EspTransform> offer = BuildEspOffer(RacoonSainfo(), /*udp_encapsulated=*/false);
  ASSERT_EQ(offer.size(), 1u);
  EXPECT_EQ(ToHex(EncodeBody(EncodeEspSa(offer, 0x097fda1a))), ToHex(HexToBytes(kRacoonEspSa)));
}

TEST(ProposalTest, DecodesRacoonPhase1Sa) {
  auto payload = ParseSaPayload(HexToBytes(kRacoonPhase1Sa));
  ASSERT_TRUE(payload.has_value());
  auto offered = DecodePhase1Sa(*payload);
  ASSERT_TRUE(offered.has_value());
  ASSERT_EQ(offered->size(), 1u);
  const Phase1Transform& transform = offered->front().value;
  EXPECT_EQ(transform.cipher, crypto::IkeCipher::k3desCbc);
  EXPECT_EQ(transform.hash, crypto::HashAlgorithm::kSha1);
  EXPECT_EQ(transform.auth_method, config::AuthMethod::kRsaSignature);
  EXPECT_EQ(transform.dh_group, crypto::DhGroup::kModp1024);
  EXPECT_EQ(transform.lifetime, std::chrono::seconds(28800));
}

TEST(ProposalTest, DecodesRacoonEspSa) {
  auto payload = ParseSaPayload(HexToBytes(kRacoonEspSa));
  ASSERT_TRUE(payload.has_value());
  auto offered = DecodeEspSa(*payload);
  ASSERT_TRUE(offered.has_value());
  ASSERT_EQ(offered->size(), 1u);
  EXPECT_EQ(offered->front().spi, 0x097fda1au);
  const EspTransform& transform = offered->front().value;
  EXPECT_EQ(transform.cipher, crypto::EspCipher::k3desCbc);
  EXPECT_EQ(transform.integrity, crypto::EspIntegrity::kHmacSha1_96);
  EXPECT_EQ(transform.pfs_group, crypto::DhGroup::kModp1024);
  EXPECT_FALSE(transform.udp_encapsulated);
  auto chosen = SelectEsp({transform}, RacoonSainfo(), false);
  EXPECT_TRUE(chosen.has_value());
}

TEST(ProposalTest, SelectsFirstAcceptablePhase1Transform) {
  config::Phase1Proposal aes;
  aes.cipher = crypto::IkeCipher::kAesCbc;
  aes.key_bits = 256;
  aes.hash = crypto::HashAlgorithm::kSha256;
  aes.dh_group = crypto::DhGroup::kModp2048;
  config::Phase1Proposal des;  // 3DES/SHA1/MODP1024 defaults
  const config::RemoteConfig remote = RemoteWith({aes, des});

  config::Phase1Proposal unknown_to_us = des;
  unknown_to_us.dh_group = crypto::DhGroup::kModp1536;
  config::Phase1Proposal offered_des = des;
  offered_des.lifetime = std::chrono::seconds(3600);
  auto chosen = SelectPhase1({unknown_to_us, offered_des, aes}, remote);
  ASSERT_TRUE(chosen.has_value());
  EXPECT_EQ(chosen->cipher, crypto::IkeCipher::k3desCbc);
  // The initiator's lifetime is obeyed.
  EXPECT_EQ(chosen->lifetime, std::chrono::seconds(3600));
}

TEST(ProposalTest, NoAcceptablePhase1Transform) {
  config::Phase1Proposal offered;
  offered.auth_method = config::AuthMethod::kPreSharedKey;
  auto chosen = SelectPhase1({offered}, RemoteWith({config::Phase1Proposal{}}));
  ASSERT_FALSE(chosen.has_value());
  EXPECT_EQ(chosen.error().code, ErrorCode::kNoProposalChosen);
  EXPECT_EQ(chosen.error().notify, 14);  // NO-PROPOSAL-CHOSEN, RFC 2408 §3.14.1
}

TEST(ProposalTest, EspOfferCrossesCiphersAndIntegrity) {
  config::SainfoConfig sainfo;
  sainfo.ciphers = {crypto::EspCipher::kAesCbc, crypto::EspCipher::kAesGcm16, crypto::EspCipher::k3desCbc};
  sainfo.cipher_key_bits = {256, 128, 0};
  sainfo.integrities = {crypto::EspIntegrity::kHmacSha256_128, crypto::EspIntegrity::kHmacSha1_96};
  const std::vector<EspTransform> offer = BuildEspOffer(sainfo, false);
  // AES-256 x 2, AES-GCM-128 once (no integrity), 3DES x 2.
  ASSERT_EQ(offer.size(), 5u);
  EXPECT_EQ(offer[0].cipher, crypto::EspCipher::kAesCbc);
  EXPECT_EQ(offer[0].key_bits, 256u);
  EXPECT_EQ(offer[0].integrity, crypto::EspIntegrity::kHmacSha256_128);
  EXPECT_EQ(offer[1].integrity, crypto::EspIntegrity::kHmacSha1_96);
  EXPECT_EQ(offer[2].cipher, crypto::EspCipher::kAesGcm16);
  EXPECT_EQ(offer[2].integrity, crypto::EspIntegrity::kNone);
  EXPECT_EQ(offer[4].cipher, crypto::EspCipher::k3desCbc);

  // The SA payload form decodes back to the same transforms.
  auto decoded = DecodeEspSa(*ParseSaPayload(EncodeBody(EncodeEspSa(offer, 0x1234))));
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), offer.size());
  for (size_t i = 0; i < offer.size(); ++i) {
    EXPECT_TRUE(SameEspAlgorithms((*decoded)[i].value, offer[i])) << i;
    EXPECT_EQ((*decoded)[i].spi, 0x1234u);
  }
}

TEST(ProposalTest, EspSelectionChecksPfsAndEncapsulation) {
  const config::SainfoConfig sainfo = RacoonSainfo();
  EspTransform offered = BuildEspOffer(sainfo, false).front();

  EspTransform without_pfs = offered;
  without_pfs.pfs_group.reset();
  EXPECT_FALSE(SelectEsp({without_pfs}, sainfo, false).has_value());

  EXPECT_FALSE(SelectEsp({offered}, sainfo, /*udp_encapsulated=*/true).has_value());

  EspTransform other_integrity = offered;
  other_integrity.integrity = crypto::EspIntegrity::kHmacSha256_128;
  auto chosen = SelectEsp({other_integrity, offered}, sainfo, false);
  ASSERT_TRUE(chosen.has_value());
  EXPECT_EQ(chosen->integrity, crypto::EspIntegrity::kHmacSha1_96);
}

// IKEv1 has one Authentication Algorithm value for HMAC-SHA2-256 (5, IANA
// "IPsec Authentication Algorithm" registry), whatever the ICV length.
TEST(ProposalTest, TruncatedSha256NegotiatesAsSha256) {
  config::SainfoConfig sainfo = RacoonSainfo();
  sainfo.ciphers = {crypto::EspCipher::kAesCbc};
  sainfo.cipher_key_bits = {128};
  sainfo.integrities = {crypto::EspIntegrity::kHmacSha256_96};
  const std::vector<EspTransform> offer = BuildEspOffer(sainfo, false);
  ASSERT_EQ(offer.size(), 1u);
  EXPECT_EQ(offer[0].integrity, crypto::EspIntegrity::kHmacSha256_96);

  // TV attribute: type 5 (Authentication Algorithm, RFC 2407 §4.5), value 5.
  const std::string encoded = ToHex(EncodeBody(EncodeEspSa(offer, 0x1234)));
  EXPECT_NE(encoded.find("80050005"), std::string::npos) << encoded;

  auto decoded = DecodeEspSa(*ParseSaPayload(HexToBytes(encoded)));
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 1u);
  const EspTransform& received = decoded->front().value;
  EXPECT_EQ(received.integrity, crypto::EspIntegrity::kHmacSha256_128);
  EXPECT_TRUE(SameEspAlgorithms(received, offer[0]));

  // The responder installs the ICV length its own sainfo names.
  auto chosen_96 = SelectEsp({received}, sainfo, false);
  ASSERT_TRUE(chosen_96.has_value());
  EXPECT_EQ(chosen_96->integrity, crypto::EspIntegrity::kHmacSha256_96);

  sainfo.integrities = {crypto::EspIntegrity::kHmacSha256_128};
  auto chosen_128 = SelectEsp({received}, sainfo, false);
  ASSERT_TRUE(chosen_128.has_value());
  EXPECT_EQ(chosen_128->integrity, crypto::EspIntegrity::kHmacSha256_128);

  sainfo.integrities = {crypto::EspIntegrity::kHmacSha1_96};
  EXPECT_FALSE(SelectEsp({received}, sainfo, false).has_value());
}

// Encapsulation Mode values: RFC 2407 §4.5 (1 tunnel, 2 transport),
// RFC 3947 §5.2 (3 and 4 UDP-encapsulated) and the drafts' 61443 and 61444.
TEST(ProposalTest, EncapsulationModesDecode) {
  struct Case {
    uint8_t high;
    uint8_t low;
    bool usable;
    bool tunnel;
    bool udp_encapsulated;
  };
  const Case cases[] = {
      {0x00, 0x01, true, true, false},  {0x00, 0x02, true, false, false},
      {0x00, 0x03, true, true, true},   {0x00, 0x04, true, false, true},
      {0xf0, 0x03, true, true, true},   {0xf0, 0x04, true, false, true},
      {0x00, 0x05, false, false, false}, {0x00, 0x00, false, false, false},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(std::to_string(test_case.high * 256 + test_case.low));
    // The racoon ESP SA with another value in its Encapsulation Mode
    // attribute (the last two bytes of "80040002").
    Bytes body = HexToBytes(kRacoonEspSa);
    ASSERT_EQ(body[38], std::byte{0x00});
    ASSERT_EQ(body[39], std::byte{0x02});
    body[38] = std::byte{test_case.high};
    body[39] = std::byte{test_case.low};
    auto payload = ParseSaPayload(body);
    ASSERT_TRUE(payload.has_value());

    auto decoded = DecodeEspSa(*payload);

    if (!test_case.usable) {
      ASSERT_FALSE(decoded.has_value());
      EXPECT_EQ(decoded.error().code, ErrorCode::kNoProposalChosen);
      continue;
    }
    ASSERT_TRUE(decoded.has_value()) << ToString(decoded.error());
    EXPECT_EQ(decoded->front().value.tunnel, test_case.tunnel);
    EXPECT_EQ(decoded->front().value.udp_encapsulated, test_case.udp_encapsulated);
  }
}

TEST(ProposalTest, TunnelModesEncode) {
  const config::SainfoConfig sainfo = RacoonSainfo();
  struct Case {
    bool udp_encapsulated;
    uint16_t udp_transport_mode;
    const char* attribute;  // Encapsulation Mode as a TV attribute
  };
  const Case cases[] = {
      {false, kEncapsulationUdpTransport, "80040001"},
      {true, kEncapsulationUdpTransport, "80040003"},
      {true, kEncapsulationUdpTransportDraft, "8004f003"},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.attribute);
    const std::vector<EspTransform> offer =
        BuildEspOffer(sainfo, test_case.udp_encapsulated, /*tunnel=*/true);
    ASSERT_EQ(offer.size(), 1u);
    EXPECT_TRUE(offer[0].tunnel);

    const std::string encoded =
        ToHex(EncodeBody(EncodeEspSa(offer, 0x1234, test_case.udp_transport_mode)));

    EXPECT_NE(encoded.find(test_case.attribute), std::string::npos) << encoded;
  }
}

TEST(ProposalTest, EspSelectionChecksMode) {
  const config::SainfoConfig sainfo = RacoonSainfo();
  const EspTransform tunnel = BuildEspOffer(sainfo, false, /*tunnel=*/true).front();
  const EspTransform transport = BuildEspOffer(sainfo, false).front();

  EXPECT_FALSE(SelectEsp({tunnel}, sainfo, false).has_value());
  EXPECT_FALSE(SelectEsp({transport}, sainfo, false, /*tunnel=*/true).has_value());
  auto chosen = SelectEsp({transport, tunnel}, sainfo, false, /*tunnel=*/true);
  ASSERT_TRUE(chosen.has_value());
  EXPECT_TRUE(chosen->tunnel);
  EXPECT_FALSE(SameEspAlgorithms(tunnel, transport));
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

// Hash Algorithm values 5 and 6 (SHA2-384, SHA2-512) and Group Description
// values 15 to 20 (RFC 3526 and RFC 5903 groups) from the IANA IKE attribute
// registries, written into racoon's Main Mode SA.
TEST(ProposalTest, DecodesSha2AndLargeGroupsInPhase1) {
  const struct {
    const char* hash_attribute;
    crypto::HashAlgorithm hash;
    const char* group_attribute;
    crypto::DhGroup group;
  } kCases[] = {{"80020005", crypto::HashAlgorithm::kSha384, "8004000f", crypto::DhGroup::kModp3072},
                {"80020006", crypto::HashAlgorithm::kSha512, "80040010", crypto::DhGroup::kModp4096},
                {"80020005", crypto::HashAlgorithm::kSha384, "80040011", crypto::DhGroup::kModp6144},
                {"80020006", crypto::HashAlgorithm::kSha512, "80040012", crypto::DhGroup::kModp8192},
                {"80020004", crypto::HashAlgorithm::kSha256, "80040013", crypto::DhGroup::kEcp256},
                {"80020005", crypto::HashAlgorithm::kSha384, "80040014", crypto::DhGroup::kEcp384}};
  for (const auto& test_case : kCases) {
    SCOPED_TRACE(test_case.group_attribute);
    std::string body = Replace(kRacoonPhase1Sa, "80020002", test_case.hash_attribute);
    body = Replace(body, "80040002", test_case.group_attribute);
    auto decoded = DecodePhase1Sa(*ParseSaPayload(HexToBytes(body)));
    ASSERT_TRUE(decoded.has_value()) << decoded.error().detail;
    ASSERT_EQ(decoded->size(), 1u);
    EXPECT_EQ(decoded->front().value.hash, test_case.hash);
    EXPECT_EQ(decoded->front().value.dh_group, test_case.group);

    const std::string encoded = ToHex(EncodeBody(EncodePhase1Sa({decoded->front().value})));
    EXPECT_NE(encoded.find(test_case.hash_attribute), std::string::npos) << encoded;
    EXPECT_NE(encoded.find(test_case.group_attribute), std::string::npos) << encoded;
  }
}

// Authentication Algorithm values 6 and 7 (HMAC-SHA2-384 and HMAC-SHA2-512,
// IANA IPsec DOI registry) and a PFS group of RFC 5903 in racoon's Quick Mode
// SA.
TEST(ProposalTest, DecodesSha2IntegrityAndEcpPfs) {
  const struct {
    const char* auth_attribute;
    crypto::EspIntegrity integrity;
    const char* group_attribute;
    crypto::DhGroup group;
  } kCases[] = {{"80050006", crypto::EspIntegrity::kHmacSha384_192, "80030014", crypto::DhGroup::kEcp384},
                {"80050007", crypto::EspIntegrity::kHmacSha512_256, "80030010", crypto::DhGroup::kModp4096}};
  for (const auto& test_case : kCases) {
    SCOPED_TRACE(test_case.auth_attribute);
    std::string body = Replace(kRacoonEspSa, "80050002", test_case.auth_attribute);
    body = Replace(body, "80030002", test_case.group_attribute);
    auto decoded = DecodeEspSa(*ParseSaPayload(HexToBytes(body)));
    ASSERT_TRUE(decoded.has_value()) << decoded.error().detail;
    ASSERT_EQ(decoded->size(), 1u);
    EXPECT_EQ(decoded->front().value.integrity, test_case.integrity);
    EXPECT_EQ(decoded->front().value.pfs_group, test_case.group);

    const std::string encoded = ToHex(EncodeBody(EncodeEspSa({decoded->front().value}, 0x1234)));
    EXPECT_NE(encoded.find(test_case.auth_attribute), std::string::npos) << encoded;
    EXPECT_NE(encoded.find(test_case.group_attribute), std::string::npos) << encoded;
  }
}

// Groups 3 and 4 (EC2N, RFC 2409 §6.3-§6.4) and 21 (ECP 521) are not
// implemented, so a transform that needs one is unusable.
TEST(ProposalTest, UnimplementedGroupsAreUnusable) {
  for (const char* group_attribute : {"80040003", "80040004", "80040015"}) {
    SCOPED_TRACE(group_attribute);
    const std::string body = Replace(kRacoonPhase1Sa, "80040002", group_attribute);
    auto decoded = DecodePhase1Sa(*ParseSaPayload(HexToBytes(body)));
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().code, ErrorCode::kNoProposalChosen);
  }
}

}  // namespace
}  // namespace ipop::ike
