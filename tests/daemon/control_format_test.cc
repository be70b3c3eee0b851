#include "daemon/control_format.h"

#include <gtest/gtest.h>

#include "daemon/control_client.h"

namespace ipop::daemon {
namespace {

using std::chrono::seconds;

esp::Policy DemoPolicy(esp::PolicyDirection direction) {
  esp::Policy policy;
  policy.id = 1;
  policy.selector.source = Ipv4Prefix{*Ipv4Address::Parse("192.168.1.0"), 16};
  policy.selector.destination = Ipv4Prefix{*Ipv4Address::Parse("192.168.1.0"), 16};
  policy.direction = direction;
  policy.origin = "setkey.conf:1";
  return policy;
}

TEST(ControlFormat, AgeUnits) {
  EXPECT_EQ(FormatAge(seconds(0)), "0s");
  EXPECT_EQ(FormatAge(seconds(59)), "59s");
  EXPECT_EQ(FormatAge(seconds(60)), "1m00s");
  EXPECT_EQ(FormatAge(seconds(307)), "5m07s");
  EXPECT_EQ(FormatAge(seconds(3600 * 2 + 180)), "2h03m");
  EXPECT_EQ(FormatAge(seconds(86400 * 3 + 3600 * 4)), "3d04h");
  EXPECT_EQ(FormatAge(seconds(-5)), "0s");
}

TEST(ControlFormat, PolicyInSetkeyWords) {
  EXPECT_EQ(FormatPolicyRule(DemoPolicy(esp::PolicyDirection::kOut)),
            "192.168.0.0/16[any] 192.168.0.0/16[any] any -P out ipsec esp/transport//require");
}

TEST(ControlFormat, PolicyWithPortsAndProtocol) {
  esp::Policy policy = DemoPolicy(esp::PolicyDirection::kIn);
  policy.selector.protocol = 6;
  policy.selector.destination_port = 22;
  policy.level = esp::IpsecLevel::kUse;
  EXPECT_EQ(FormatPolicyRule(policy),
            "192.168.0.0/16[any] 192.168.0.0/16[22] tcp -P in ipsec esp/transport//use");
}

TEST(ControlFormat, BypassAndDiscardPolicies) {
  esp::Policy bypass = DemoPolicy(esp::PolicyDirection::kOut);
  bypass.action = esp::PolicyAction::kBypass;
  bypass.selector.protocol = 17;
  EXPECT_EQ(FormatPolicyRule(bypass), "192.168.0.0/16[any] 192.168.0.0/16[any] udp -P out none");
  esp::Policy discard = DemoPolicy(esp::PolicyDirection::kIn);
  discard.action = esp::PolicyAction::kDiscard;
  discard.selector.protocol = 1;
  EXPECT_EQ(FormatPolicyRule(discard), "192.168.0.0/16[any] 192.168.0.0/16[any] icmp -P in discard");
}

TEST(ControlFormat, TableColumnsAligned) {
  const std::string table = FormatTable({"a", "long header"}, {{"wide cell", "x"}, {"b", "y"}});
  EXPECT_EQ(table,
            "  a          long header\n"
            "  wide cell  x\n"
            "  b          y\n");
}

TEST(ControlFormat, EmptyListsSayNone) {
  EXPECT_EQ(FormatIsakmpSas({}), "ISAKMP SAs: 0\n");
  EXPECT_EQ(FormatEspSas({}, std::chrono::system_clock::now()), "ESP SAs: 0\n");
  EXPECT_EQ(FormatPolicies({}), "Policies: 0\n");
}

TEST(ControlFormat, IsakmpSaRow) {
  ike::IsakmpSaStatus sa;
  sa.local = Endpoint{*Ipv4Address::Parse("192.168.1.100"), 500};
  sa.remote = Endpoint{*Ipv4Address::Parse("192.168.1.101"), 500};
  sa.cookie_i = 0x0123456789abcdefULL;
  sa.cookie_r = 0xfedcba9876543210ULL;
  sa.initiator = true;
  sa.established = true;
  sa.state = "established";
  sa.age = seconds(75);

  const std::string text = FormatIsakmpSas({sa});
  EXPECT_NE(text.find("ISAKMP SAs: 1\n"), std::string::npos);
  EXPECT_NE(text.find("192.168.1.101[500]"), std::string::npos);
  EXPECT_NE(text.find("0123456789abcdef:fedcba9876543210"), std::string::npos);
  EXPECT_NE(text.find("3DES-CBC SHA1 MODP1024 rsasig"), std::string::npos);
  EXPECT_NE(text.find("initiator"), std::string::npos);
  EXPECT_NE(text.find("1m15s"), std::string::npos);
}

TEST(ControlFormat, IsakmpSaRowShowsNatSide) {
  ike::IsakmpSaStatus sa;
  sa.local = Endpoint{*Ipv4Address::Parse("10.1.0.2"), 4500};
  sa.remote = Endpoint{*Ipv4Address::Parse("10.2.0.10"), 4500};
  sa.state = "established";
  EXPECT_NE(FormatIsakmpSas({sa}).find("behind NAT"), std::string::npos);
  sa.nat_detected_local = true;
  EXPECT_NE(FormatIsakmpSas({sa}).find(" me "), std::string::npos);
  sa.nat_detected_local = false;
  sa.nat_detected_peer = true;
  EXPECT_NE(FormatIsakmpSas({sa}).find(" peer "), std::string::npos);
  sa.nat_detected_local = true;
  EXPECT_NE(FormatIsakmpSas({sa}).find(" me+peer "), std::string::npos);
}

TEST(ControlFormat, EspSaRowShowsPeerAndCounters) {
  const auto now = std::chrono::system_clock::now();
  esp::EspSaStatus sa;
  sa.spi = 0x0badcafe;
  sa.source = *Ipv4Address::Parse("192.168.1.101");
  sa.destination = *Ipv4Address::Parse("192.168.1.100");
  sa.inbound = true;
  sa.cipher = crypto::EspCipher::kAesCbc;
  sa.aes_key_bits = 256;
  sa.integrity = crypto::EspIntegrity::kHmacSha256_128;
  sa.bytes = 12345;
  sa.packets = 67;
  sa.created = now - seconds(10);
  sa.backend = "userspace";

  const std::string text = FormatEspSas({sa}, now);
  EXPECT_NE(text.find("ESP SAs: 1\n"), std::string::npos);
  // For an inbound SA the peer is the source.
  EXPECT_NE(text.find("192.168.1.101"), std::string::npos);
  EXPECT_EQ(text.find("192.168.1.100"), std::string::npos);
  EXPECT_NE(text.find("195939070(0x0badcafe)"), std::string::npos);
  EXPECT_NE(text.find("AES-CBC-256 HMAC-SHA2-256-128"), std::string::npos);
  EXPECT_NE(text.find(" in "), std::string::npos);
  EXPECT_NE(text.find("10s"), std::string::npos);
  EXPECT_NE(text.find("12345"), std::string::npos);
  EXPECT_NE(text.find("67"), std::string::npos);
  EXPECT_NE(text.find("userspace"), std::string::npos);
}

TEST(ControlFormat, GcmSaOmitsIntegrity) {
  esp::EspSaStatus sa;
  sa.cipher = crypto::EspCipher::kAesGcm16;
  sa.aes_key_bits = 128;
  sa.integrity = crypto::EspIntegrity::kHmacSha1_96;
  const std::string text = FormatEspSas({sa}, sa.created);
  EXPECT_NE(text.find("AES-GCM-16-128"), std::string::npos);
  EXPECT_EQ(text.find("HMAC"), std::string::npos);
}

TEST(ControlFormat, PolicyListHasIdAndOrigin) {
  const std::string text = FormatPolicies({DemoPolicy(esp::PolicyDirection::kOut)});
  EXPECT_NE(text.find("Policies: 1\n"), std::string::npos);
  EXPECT_NE(text.find("-P out ipsec"), std::string::npos);
  EXPECT_NE(text.find("setkey.conf:1"), std::string::npos);
}

TEST(ControlReply, OkRoundTrips) {
  auto body = ParseControlReply(ControlOkReply("line 1\nline 2\n"));
  ASSERT_TRUE(body) << body.error().detail;
  EXPECT_EQ(*body, "line 1\nline 2\n");
}

TEST(ControlReply, ErrorCarriesReason) {
  auto body = ParseControlReply(ControlErrorReply("unknown command \"x\""));
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().detail, "ipop-espd: unknown command \"x\"");
}

TEST(ControlReply, GarbageRejected) {
  EXPECT_FALSE(ParseControlReply("HELLO\n"));
  EXPECT_FALSE(ParseControlReply(""));
}

}  // namespace
}  // namespace ipop::daemon
