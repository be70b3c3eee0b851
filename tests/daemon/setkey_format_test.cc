// `ipop-esp sa --setkey` and `spd --setkey` against the `setkey -D` and
// `setkey -DP` output that racoon's node A produced in
// tests/vectors/racoon-3des-sha1-modp1024 (sad-a.txt, spd-a.txt).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/control_format.h"

namespace ipop::daemon {
namespace {

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream file(path);
  EXPECT_TRUE(file) << "cannot open " << path;
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) {
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  return lines;
}

const std::string kVectors = std::string(IPOP_TEST_DATA_DIR) + "/vectors/racoon-3des-sha1-modp1024/";

esp::Policy MakePolicy(esp::PolicyDirection direction) {
  esp::Policy policy;
  policy.selector.source = Ipv4Prefix{*Ipv4Address::Parse("10.77.0.0"), 24};
  policy.selector.destination = Ipv4Prefix{*Ipv4Address::Parse("10.77.0.0"), 24};
  policy.direction = direction;
  return policy;
}

TEST(SetkeyFormat, PoliciesMatchRacoonSpd) {
  // spd-a.txt lists fwd, in, out; each block is selector, direction,
  // template, created, lifetime, spid and refcnt lines.
  const std::vector<std::string> expected = ReadLines(kVectors + "spd-a.txt");
  ASSERT_EQ(expected.size(), 21u);
  const std::vector<std::string> actual = SplitLines(FormatSetkeyPolicies(
      {MakePolicy(esp::PolicyDirection::kFwd), MakePolicy(esp::PolicyDirection::kIn),
       MakePolicy(esp::PolicyDirection::kOut)}));
  ASSERT_EQ(actual.size(), 12u);
  for (size_t block = 0; block < 3; ++block) {
    EXPECT_EQ(actual[block * 4 + 0], expected[block * 7 + 0]) << "selector of block " << block;
    EXPECT_EQ(actual[block * 4 + 1], expected[block * 7 + 1]) << "direction of block " << block;
    EXPECT_EQ(actual[block * 4 + 2], expected[block * 7 + 2]) << "template of block " << block;
    EXPECT_EQ(actual[block * 4 + 3], expected[block * 7 + 4]) << "lifetime of block " << block;
  }
}

TEST(SetkeyFormat, BypassPolicyHasNoTemplate) {
  esp::Policy policy = MakePolicy(esp::PolicyDirection::kOut);
  policy.action = esp::PolicyAction::kBypass;
  const std::vector<std::string> lines = SplitLines(FormatSetkeyPolicies({policy}));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], "\tout prio def none");
}

TEST(SetkeyFormat, SasMatchRacoonSad) {
  // The first SA of sad-a.txt: 10.77.0.1 -> 10.77.0.2, SPI 0x03613ddd,
  // 585 bytes in 11 packets, 10 s old.
  const std::vector<std::string> expected = ReadLines(kVectors + "sad-a.txt");
  ASSERT_GE(expected.size(), 11u);
  esp::EspSaStatus sa;
  sa.spi = 0x03613ddd;
  sa.source = *Ipv4Address::Parse("10.77.0.1");
  sa.destination = *Ipv4Address::Parse("10.77.0.2");
  sa.cipher = crypto::EspCipher::k3desCbc;
  sa.integrity = crypto::EspIntegrity::kHmacSha1_96;
  sa.bytes = 585;
  sa.packets = 11;
  const auto now = std::chrono::system_clock::now();
  sa.created = now - std::chrono::seconds(10);
  const std::vector<std::string> actual = SplitLines(FormatSetkeySas({sa}, now));
  ASSERT_EQ(actual.size(), 8u);

  EXPECT_EQ(actual[0], expected[0]);
  // setkey goes on with " reqid=..." which SA status does not carry.
  EXPECT_EQ(expected[1].rfind(actual[1], 0), 0u) << actual[1];
  // setkey goes on with the key, which is never shown.
  EXPECT_EQ(expected[2].rfind(actual[2], 0), 0u) << actual[2];
  EXPECT_EQ(expected[3].rfind(actual[3], 0), 0u) << actual[3];
  EXPECT_EQ(actual[4].rfind("\tcreated: ", 0), 0u);
  EXPECT_NE(actual[4].find("\tcurrent: "), std::string::npos);
  EXPECT_EQ(expected[6].rfind(actual[5] + "\t", 0), 0u) << actual[5];
  EXPECT_EQ(expected[8].rfind(actual[6] + "\t", 0), 0u) << actual[6];
  EXPECT_EQ(expected[9].rfind(actual[7] + "\t", 0), 0u) << actual[7];
}

TEST(SetkeyFormat, EncapsulatedSaShowsPorts) {
  esp::EspSaStatus sa;
  sa.spi = 300;
  sa.source = *Ipv4Address::Parse("10.77.0.1");
  sa.destination = *Ipv4Address::Parse("10.77.0.2");
  sa.encapsulation = esp::UdpEncapsulation{.source_port = 4500, .destination_port = 61000};
  const auto now = std::chrono::system_clock::now();
  sa.created = now;
  const std::vector<std::string> lines = SplitLines(FormatSetkeySas({sa}, now));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "10.77.0.1[4500] 10.77.0.2[61000] ");
}

TEST(SetkeyFormat, GcmSaHasNoAuthLine) {
  esp::EspSaStatus sa;
  sa.spi = 300;
  sa.cipher = crypto::EspCipher::kAesGcm16;
  sa.integrity = crypto::EspIntegrity::kNone;
  const auto now = std::chrono::system_clock::now();
  sa.created = now;
  const std::string text = FormatSetkeySas({sa}, now);
  EXPECT_NE(text.find("\tE: aes-gcm-16\n"), std::string::npos);
  EXPECT_EQ(text.find("\tA: "), std::string::npos);
}

TEST(PolicyBackendColumn, ShowsCarrier) {
  const std::string text = FormatPolicies({MakePolicy(esp::PolicyDirection::kOut)}, "kernel");
  EXPECT_NE(text.find("backend"), std::string::npos);
  EXPECT_NE(text.find("kernel\n"), std::string::npos);
}

}  // namespace
}  // namespace ipop::daemon
