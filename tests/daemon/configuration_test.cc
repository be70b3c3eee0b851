#include "daemon/configuration.h"

#include <gtest/gtest.h>

#include "config/config_error.h"
#include "config/setkey_script.h"

namespace ipop::daemon {
namespace {

std::vector<esp::Policy> Apply(std::string_view text) {
  return ApplySetkeyScript(config::ParseSetkeyText(text, "setkey.conf"));
}

TEST(ApplySetkeyScript, DemoPairGivesTwoPolicies) {
  const auto policies = Apply(
      "spdadd 192.168.1.0/16 192.168.1.0/16 any -P out ipsec esp/transport//require;\n"
      "spdadd 192.168.1.0/16 192.168.1.0/16 any -P in ipsec esp/transport//require;\n");
  ASSERT_EQ(policies.size(), 2U);
  EXPECT_EQ(policies[0].direction, esp::PolicyDirection::kOut);
  EXPECT_EQ(policies[1].direction, esp::PolicyDirection::kIn);
  EXPECT_EQ(policies[0].selector.destination.ToString(), "192.168.0.0/16");
  EXPECT_EQ(policies[0].origin, "setkey.conf:1");
  EXPECT_EQ(policies[1].origin, "setkey.conf:2");
}

TEST(ApplySetkeyScript, SpddeleteRemovesMatchingDirection) {
  const auto policies = Apply(
      "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec esp/transport//require;\n"
      "spdadd 10.0.1.0/24 10.0.0.0/24 any -P in ipsec esp/transport//require;\n"
      "spddelete 10.0.0.0/24 10.0.1.0/24 any -P out;\n");
  ASSERT_EQ(policies.size(), 1U);
  EXPECT_EQ(policies[0].direction, esp::PolicyDirection::kIn);
}

TEST(ApplySetkeyScript, SpddeleteWithoutMatchRejected) {
  try {
    Apply(
        "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec esp/transport//require;\n"
        "spddelete 10.0.0.0/24 10.0.1.0/24 any -P in;\n");
    FAIL() << "expected a ConfigError";
  } catch (const config::ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("setkey.conf:2"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("spddelete matches no earlier spdadd"), std::string::npos);
  }
}

TEST(ApplySetkeyScript, SpdflushClearsEarlierPolicies) {
  const auto policies = Apply(
      "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec esp/transport//require;\n"
      "spdflush;\n"
      "spdadd 10.0.2.0/24 10.0.3.0/24 icmp -P out none;\n");
  ASSERT_EQ(policies.size(), 1U);
  EXPECT_EQ(policies[0].action, esp::PolicyAction::kBypass);
  EXPECT_EQ(policies[0].selector.protocol, 1);
}

TEST(ApplySetkeyScript, FlushKeepsPolicies) {
  const auto policies = Apply(
      "flush;\n"
      "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec esp/transport//require;\n"
      "flush;\n");
  EXPECT_EQ(policies.size(), 1U);
}

}  // namespace
}  // namespace ipop::daemon
