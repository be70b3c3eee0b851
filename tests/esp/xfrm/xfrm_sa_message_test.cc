#include "esp/xfrm/xfrm_sa_message.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "esp/xfrm/netlink_attr.h"

namespace ipop::esp::xfrm {
namespace {

using AttributeMap = std::map<uint16_t, std::vector<const nlattr*>>;

int CollectEvery(const nlattr* attribute, void* data) {
  (*static_cast<AttributeMap*>(data))[mnl_attr_get_type(attribute)].push_back(attribute);
  return MNL_CB_OK;
}

AttributeMap DecodeSaAttributes(const XfrmMessage& message) {
  AttributeMap attributes;
  EXPECT_EQ(mnl_attr_parse(message.header(), sizeof(xfrm_usersa_info), CollectEvery, &attributes),
            MNL_CB_OK);
  return attributes;
}

xfrm_usersa_info ReadSaInfo(const XfrmMessage& message) {
  xfrm_usersa_info info{};
  EXPECT_GE(mnl_nlmsg_get_payload_len(message.header()), sizeof(info));
  std::memcpy(&info, mnl_nlmsg_get_payload(message.header()), sizeof(info));
  return info;
}

crypto::SecretBytes PatternKey(size_t size, uint8_t first) {
  crypto::SecretBytes key(size);
  for (size_t i = 0; i < size; ++i) {
    key.mutable_view()[i] = std::byte(first + i);
  }
  return key;
}

EspSaConfig MakeAesCbcSha256Config() {
  EspSaConfig config;
  config.spi = 0x03613ddd;
  config.source = *Ipv4Address::Parse("10.77.0.1");
  config.destination = *Ipv4Address::Parse("10.77.0.2");
  config.cipher = crypto::EspCipher::kAesCbc;
  config.aes_key_bits = 128;
  config.integrity = crypto::EspIntegrity::kHmacSha256_128;
  config.cipher_key = PatternKey(16, 0x10);
  config.integrity_key = PatternKey(32, 0x40);
  config.replay_window = 64;
  config.lifetime = SaLifetime{.soft_time = std::chrono::seconds(2880),
                               .hard_time = std::chrono::seconds(3600),
                               .soft_bytes = 800000,
                               .hard_bytes = 1000000};
  return config;
}

// True when `needle` occurs anywhere in `haystack`.
bool Contains(ByteView haystack, ByteView needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

TEST(XfrmSaMessage, NewSaHeaderFields) {
  auto message = BuildNewSa(MakeAesCbcSha256Config(), 7, false, 42);
  ASSERT_TRUE(message.has_value()) << message.error().detail;
  EXPECT_EQ(message->header()->nlmsg_type, XFRM_MSG_NEWSA);
  EXPECT_EQ(message->header()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(message->header()->nlmsg_seq, 42u);

  const xfrm_usersa_info info = ReadSaInfo(*message);
  EXPECT_EQ(ntohl(info.id.spi), 0x03613dddu);
  EXPECT_EQ(info.id.proto, 50);
  EXPECT_EQ(ntohl(info.id.daddr.a4), 0x0a4d0002u);
  EXPECT_EQ(ntohl(info.saddr.a4), 0x0a4d0001u);
  EXPECT_EQ(info.family, AF_INET);
  EXPECT_EQ(info.mode, XFRM_MODE_TRANSPORT);
  EXPECT_EQ(info.reqid, 7u);
  EXPECT_EQ(info.replay_window, 0) << "the window must travel only in XFRMA_REPLAY_ESN_VAL";
  EXPECT_EQ(info.lft.soft_add_expires_seconds, 2880u);
  EXPECT_EQ(info.lft.hard_add_expires_seconds, 3600u);
  EXPECT_EQ(info.lft.soft_byte_limit, 800000u);
  EXPECT_EQ(info.lft.hard_byte_limit, 1000000u);
  EXPECT_EQ(info.lft.soft_packet_limit, kUnlimited);
  EXPECT_EQ(info.lft.hard_packet_limit, kUnlimited);
}

TEST(XfrmSaMessage, TunnelModeSa) {
  EspSaConfig config = MakeAesCbcSha256Config();
  config.mode = IpsecMode::kTunnel;

  auto message = BuildNewSa(config, 7, false, 1);

  ASSERT_TRUE(message.has_value()) << message.error().detail;
  const xfrm_usersa_info info = ReadSaInfo(*message);
  EXPECT_EQ(info.mode, XFRM_MODE_TUNNEL);
  // The outer addresses are the tunnel endpoints; the empty selector lets
  // the policies choose the inner flows.
  EXPECT_EQ(ntohl(info.saddr.a4), 0x0a4d0001u);
  EXPECT_EQ(ntohl(info.id.daddr.a4), 0x0a4d0002u);
  EXPECT_EQ(info.sel.prefixlen_d, 0);
  EXPECT_EQ(info.sel.prefixlen_s, 0);
}

TEST(XfrmSaMessage, UpdateUsesUpdsa) {
  auto message = BuildNewSa(MakeAesCbcSha256Config(), 7, true, 1);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->header()->nlmsg_type, XFRM_MSG_UPDSA);
}

TEST(XfrmSaMessage, CbcCipherAttribute) {
  const EspSaConfig config = MakeAesCbcSha256Config();
  auto message = BuildNewSa(config, 7, false, 1);
  ASSERT_TRUE(message.has_value());
  AttributeMap attributes = DecodeSaAttributes(*message);
  ASSERT_EQ(attributes[XFRMA_ALG_CRYPT].size(), 1u);
  EXPECT_TRUE(attributes[XFRMA_ALG_AEAD].empty());

  const nlattr* crypt = attributes[XFRMA_ALG_CRYPT][0];
  ASSERT_EQ(mnl_attr_get_payload_len(crypt), sizeof(xfrm_algo) + 16);
  const auto* algo = static_cast<const xfrm_algo*>(mnl_attr_get_payload(crypt));
  EXPECT_STREQ(algo->alg_name, "cbc(aes)");
  EXPECT_EQ(algo->alg_key_len, 128u);
  EXPECT_EQ(std::memcmp(algo->alg_key, config.cipher_key.view().data(), 16), 0);
}

TEST(XfrmSaMessage, AuthTruncAttribute) {
  const EspSaConfig config = MakeAesCbcSha256Config();
  auto message = BuildNewSa(config, 7, false, 1);
  ASSERT_TRUE(message.has_value());
  AttributeMap attributes = DecodeSaAttributes(*message);
  EXPECT_TRUE(attributes[XFRMA_ALG_AUTH].empty()) << "the legacy attribute has no ICV length";
  ASSERT_EQ(attributes[XFRMA_ALG_AUTH_TRUNC].size(), 1u);

  const nlattr* auth = attributes[XFRMA_ALG_AUTH_TRUNC][0];
  ASSERT_EQ(mnl_attr_get_payload_len(auth), sizeof(xfrm_algo_auth) + 32);
  const auto* algo = static_cast<const xfrm_algo_auth*>(mnl_attr_get_payload(auth));
  EXPECT_STREQ(algo->alg_name, "hmac(sha256)");
  EXPECT_EQ(algo->alg_key_len, 256u);
  EXPECT_EQ(algo->alg_trunc_len, 128u);
  EXPECT_EQ(std::memcmp(algo->alg_key, config.integrity_key.view().data(), 32), 0);
}

TEST(XfrmSaMessage, TruncationLengths) {
  struct Case {
    crypto::EspIntegrity integrity;
    size_t key_size;
    const char* name;
    uint32_t truncation_bits;
  };
  // RFC 2404 §2.2, RFC 4868 §2.3, and the pre-RFC 4868 96-bit SHA-256.
  const Case cases[] = {{crypto::EspIntegrity::kHmacSha1_96, 20, "hmac(sha1)", 96},
                        {crypto::EspIntegrity::kHmacSha256_128, 32, "hmac(sha256)", 128},
                        {crypto::EspIntegrity::kHmacSha256_96, 32, "hmac(sha256)", 96},
                        {crypto::EspIntegrity::kHmacSha384_192, 48, "hmac(sha384)", 192},
                        {crypto::EspIntegrity::kHmacSha512_256, 64, "hmac(sha512)", 256}};
  for (const Case& test_case : cases) {
    EspSaConfig config = MakeAesCbcSha256Config();
    config.integrity = test_case.integrity;
    config.integrity_key = PatternKey(test_case.key_size, 0x40);
    auto message = BuildNewSa(config, 7, false, 1);
    ASSERT_TRUE(message.has_value()) << test_case.name;
    AttributeMap attributes = DecodeSaAttributes(*message);
    ASSERT_EQ(attributes[XFRMA_ALG_AUTH_TRUNC].size(), 1u) << test_case.name;
    const auto* algo = static_cast<const xfrm_algo_auth*>(
        mnl_attr_get_payload(attributes[XFRMA_ALG_AUTH_TRUNC][0]));
    EXPECT_STREQ(algo->alg_name, test_case.name);
    EXPECT_EQ(algo->alg_trunc_len, test_case.truncation_bits) << test_case.name;
    EXPECT_EQ(algo->alg_key_len, test_case.key_size * 8) << test_case.name;
  }
}

TEST(XfrmSaMessage, TripleDesName) {
  EspSaConfig config = MakeAesCbcSha256Config();
  config.cipher = crypto::EspCipher::k3desCbc;
  config.aes_key_bits = 0;
  config.cipher_key = PatternKey(24, 0x10);
  auto message = BuildNewSa(config, 7, false, 1);
  ASSERT_TRUE(message.has_value());
  AttributeMap attributes = DecodeSaAttributes(*message);
  ASSERT_EQ(attributes[XFRMA_ALG_CRYPT].size(), 1u);
  const auto* algo =
      static_cast<const xfrm_algo*>(mnl_attr_get_payload(attributes[XFRMA_ALG_CRYPT][0]));
  EXPECT_STREQ(algo->alg_name, "cbc(des3_ede)");
  EXPECT_EQ(algo->alg_key_len, 192u);
}

TEST(XfrmSaMessage, GcmUsesAeadWithSalt) {
  EspSaConfig config = MakeAesCbcSha256Config();
  config.cipher = crypto::EspCipher::kAesGcm16;
  config.integrity = crypto::EspIntegrity::kNone;
  config.integrity_key = crypto::SecretBytes();
  config.cipher_key = PatternKey(20, 0x10);  // AES-128 key || 4-byte salt
  auto message = BuildNewSa(config, 7, false, 1);
  ASSERT_TRUE(message.has_value()) << message.error().detail;
  AttributeMap attributes = DecodeSaAttributes(*message);
  EXPECT_TRUE(attributes[XFRMA_ALG_CRYPT].empty());
  EXPECT_TRUE(attributes[XFRMA_ALG_AUTH_TRUNC].empty());
  ASSERT_EQ(attributes[XFRMA_ALG_AEAD].size(), 1u);

  const nlattr* aead = attributes[XFRMA_ALG_AEAD][0];
  ASSERT_EQ(mnl_attr_get_payload_len(aead), sizeof(xfrm_algo_aead) + 20);
  const auto* algo = static_cast<const xfrm_algo_aead*>(mnl_attr_get_payload(aead));
  EXPECT_STREQ(algo->alg_name, "rfc4106(gcm(aes))");
  EXPECT_EQ(algo->alg_key_len, 160u);
  EXPECT_EQ(algo->alg_icv_len, 128u);
  EXPECT_EQ(std::memcmp(algo->alg_key, config.cipher_key.view().data(), 20), 0);
}

TEST(XfrmSaMessage, ReplayWindowInEsnAttribute) {
  for (uint32_t window : {1u, 32u, 33u, 64u, 1024u}) {
    EspSaConfig config = MakeAesCbcSha256Config();
    config.replay_window = window;
    auto message = BuildNewSa(config, 7, false, 1);
    ASSERT_TRUE(message.has_value()) << window;
    AttributeMap attributes = DecodeSaAttributes(*message);
    ASSERT_EQ(attributes[XFRMA_REPLAY_ESN_VAL].size(), 1u) << window;

    const nlattr* replay = attributes[XFRMA_REPLAY_ESN_VAL][0];
    const uint32_t words = (window + 31) / 32;
    ASSERT_EQ(mnl_attr_get_payload_len(replay), sizeof(xfrm_replay_state_esn) + 4 * words);
    const auto* state = static_cast<const xfrm_replay_state_esn*>(mnl_attr_get_payload(replay));
    EXPECT_EQ(state->replay_window, window);
    EXPECT_EQ(state->bmp_len, words);
    EXPECT_EQ(state->seq, 0u);
    EXPECT_EQ(state->oseq, 0u);
  }
}

TEST(XfrmSaMessage, ReplayWindowZeroRejected) {
  EspSaConfig config = MakeAesCbcSha256Config();
  config.replay_window = 0;
  auto message = BuildNewSa(config, 7, false, 1);
  ASSERT_FALSE(message.has_value());
  EXPECT_EQ(message.error().code, ErrorCode::kInvalidArgument);
}

TEST(XfrmSaMessage, ReplayWindowAboveMaximumRejected) {
  EspSaConfig config = MakeAesCbcSha256Config();
  config.replay_window = 1025;
  auto message = BuildNewSa(config, 7, false, 1);
  ASSERT_FALSE(message.has_value());
  EXPECT_EQ(message.error().code, ErrorCode::kInvalidArgument);
}

TEST(XfrmSaMessage, EncapsulationAttribute) {
  EspSaConfig config = MakeAesCbcSha256Config();
  auto plain = BuildNewSa(config, 7, false, 1);
  ASSERT_TRUE(plain.has_value());
  EXPECT_TRUE(DecodeSaAttributes(*plain)[XFRMA_ENCAP].empty());

  config.encapsulation = UdpEncapsulation{.source_port = 4500, .destination_port = 61234};
  auto message = BuildNewSa(config, 7, false, 1);
  ASSERT_TRUE(message.has_value());
  AttributeMap attributes = DecodeSaAttributes(*message);
  ASSERT_EQ(attributes[XFRMA_ENCAP].size(), 1u);
  ASSERT_EQ(mnl_attr_get_payload_len(attributes[XFRMA_ENCAP][0]), sizeof(xfrm_encap_tmpl));
  const auto* encap =
      static_cast<const xfrm_encap_tmpl*>(mnl_attr_get_payload(attributes[XFRMA_ENCAP][0]));
  EXPECT_EQ(encap->encap_type, 2);  // UDP_ENCAP_ESPINUDP in <linux/udp.h>
  EXPECT_EQ(ntohs(encap->encap_sport), 4500);
  EXPECT_EQ(ntohs(encap->encap_dport), 61234);
}

TEST(XfrmSaMessage, NoLimitsMeansUnlimited) {
  EspSaConfig config = MakeAesCbcSha256Config();
  config.lifetime = SaLifetime{};
  auto message = BuildNewSa(config, 7, false, 1);
  ASSERT_TRUE(message.has_value());
  const xfrm_usersa_info info = ReadSaInfo(*message);
  EXPECT_EQ(info.lft.soft_byte_limit, kUnlimited);
  EXPECT_EQ(info.lft.hard_byte_limit, kUnlimited);
  EXPECT_EQ(info.lft.soft_add_expires_seconds, 0u);
  EXPECT_EQ(info.lft.hard_add_expires_seconds, 0u);
}

TEST(XfrmSaMessage, WipeRemovesKeys) {
  const EspSaConfig config = MakeAesCbcSha256Config();
  auto message = BuildNewSa(config, 7, false, 1);
  ASSERT_TRUE(message.has_value());
  const XfrmMessage& built = *message;
  // Inspect the whole buffer, not only nlmsg_len bytes, because Wipe resets
  // the length.
  const ByteView whole(reinterpret_cast<const std::byte*>(built.header()),
                       XfrmMessage::kBufferSize);
  ASSERT_TRUE(Contains(whole, config.cipher_key.view()));
  ASSERT_TRUE(Contains(whole, config.integrity_key.view()));

  message->Wipe();
  EXPECT_FALSE(Contains(whole, config.cipher_key.view()));
  EXPECT_FALSE(Contains(whole, config.integrity_key.view()));
  EXPECT_EQ(message->header()->nlmsg_type, XFRM_MSG_NEWSA) << "the header survives for logs";
}

TEST(XfrmSaMessage, DeleteSaFields) {
  XfrmMessage message = BuildDeleteSa(0x097fda1a, *Ipv4Address::Parse("10.77.0.1"), 9);
  EXPECT_EQ(message.header()->nlmsg_type, XFRM_MSG_DELSA);
  EXPECT_EQ(message.header()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  ASSERT_EQ(mnl_nlmsg_get_payload_len(message.header()), sizeof(xfrm_usersa_id));
  xfrm_usersa_id id{};
  std::memcpy(&id, mnl_nlmsg_get_payload(message.header()), sizeof(id));
  EXPECT_EQ(ntohl(id.spi), 0x097fda1au);
  EXPECT_EQ(ntohl(id.daddr.a4), 0x0a4d0001u);
  EXPECT_EQ(id.family, AF_INET);
  EXPECT_EQ(id.proto, 50);
}

TEST(XfrmSaMessage, AllocateSpiRange) {
  XfrmMessage message = BuildAllocateSpi(*Ipv4Address::Parse("10.77.0.2"),
                                         *Ipv4Address::Parse("10.77.0.1"), 3, 5);
  EXPECT_EQ(message.header()->nlmsg_type, XFRM_MSG_ALLOCSPI);
  ASSERT_EQ(mnl_nlmsg_get_payload_len(message.header()), sizeof(xfrm_userspi_info));
  xfrm_userspi_info request{};
  std::memcpy(&request, mnl_nlmsg_get_payload(message.header()), sizeof(request));
  EXPECT_EQ(request.min, 256u) << "SPIs 1-255 are reserved (RFC 4303 §2.1)";
  EXPECT_EQ(request.max, 0xffffffffu);
  EXPECT_EQ(ntohl(request.info.saddr.a4), 0x0a4d0002u);
  EXPECT_EQ(ntohl(request.info.id.daddr.a4), 0x0a4d0001u);
  EXPECT_EQ(request.info.id.proto, 50);
  EXPECT_EQ(request.info.reqid, 3u);
}

TEST(XfrmSaMessage, ParseRoundTripsBuiltSa) {
  EspSaConfig config = MakeAesCbcSha256Config();
  config.encapsulation = UdpEncapsulation{.source_port = 4500, .destination_port = 4500};
  auto message = BuildNewSa(config, 11, false, 1);
  ASSERT_TRUE(message.has_value());
  auto parsed = ParseSaMessage(message->header());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().detail;
  EXPECT_EQ(parsed->spi, config.spi);
  EXPECT_EQ(parsed->source, config.source);
  EXPECT_EQ(parsed->destination, config.destination);
  EXPECT_EQ(parsed->reqid, 11u);
  EXPECT_EQ(parsed->replay_window, 64u);
  EXPECT_EQ(parsed->cipher_name, "cbc(aes)");
  EXPECT_EQ(parsed->integrity_name, "hmac(sha256)");
  EXPECT_EQ(parsed->icv_bits, 128u);
  ASSERT_TRUE(parsed->encapsulation.has_value());
  EXPECT_EQ(parsed->encapsulation->destination_port, 4500);
}

TEST(XfrmSaMessage, ParseRejectsShortSa) {
  XfrmMessage message(XFRM_MSG_NEWSA, 0, 1);
  auto parsed = ParseSaMessage(message.header());
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, ErrorCode::kTruncated);
}

TEST(XfrmSaMessage, ParseExpireFields) {
  XfrmMessage message(XFRM_MSG_EXPIRE, 0, 0);
  auto* expire = static_cast<xfrm_user_expire*>(
      mnl_nlmsg_put_extra_header(message.header(), sizeof(xfrm_user_expire)));
  expire->state.id.spi = htonl(0x1234);
  expire->state.id.daddr.a4 = htonl(0x0a4d0002);
  expire->hard = 1;
  auto parsed = ParseExpireMessage(message.header());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->spi, 0x1234u);
  EXPECT_EQ(parsed->destination.value(), 0x0a4d0002u);
  EXPECT_TRUE(parsed->hard);
}

TEST(XfrmSaMessage, ParseAcquireFields) {
  XfrmMessage message(XFRM_MSG_ACQUIRE, 0, 0);
  auto* acquire = static_cast<xfrm_user_acquire*>(
      mnl_nlmsg_put_extra_header(message.header(), sizeof(xfrm_user_acquire)));
  acquire->saddr.a4 = htonl(0x0a4d0001);
  acquire->id.daddr.a4 = htonl(0x0a4d0002);
  acquire->sel.proto = 1;
  acquire->policy.index = 0x49500001;
  acquire->policy.dir = XFRM_POLICY_OUT;
  auto parsed = ParseAcquireMessage(message.header());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->source.value(), 0x0a4d0001u);
  EXPECT_EQ(parsed->destination.value(), 0x0a4d0002u);
  EXPECT_EQ(parsed->protocol, 1);
  EXPECT_EQ(parsed->policy_index, 0x49500001u);
}

}  // namespace
}  // namespace ipop::esp::xfrm
