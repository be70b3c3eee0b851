#include "daemon/policy_diff.h"

#include <gtest/gtest.h>

namespace ipop::daemon {
namespace {

esp::Policy MakePolicy(const char* source, const char* destination, esp::PolicyDirection direction,
                       uint32_t id = 0) {
  esp::Policy policy;
  policy.id = id;
  policy.selector.source = Ipv4Prefix{*Ipv4Address::Parse(source), 24};
  policy.selector.destination = Ipv4Prefix{*Ipv4Address::Parse(destination), 24};
  policy.direction = direction;
  policy.origin = "setkey.conf:1";
  return policy;
}

TEST(PolicyDiffTest, UnchangedScriptChangesNothing) {
  const std::vector<esp::Policy> installed = {
      MakePolicy("10.1.0.0", "10.2.0.0", esp::PolicyDirection::kOut, 1),
      MakePolicy("10.2.0.0", "10.1.0.0", esp::PolicyDirection::kIn, 2)};
  std::vector<esp::Policy> script = installed;
  script[0].id = 0;
  script[0].origin = "setkey.conf:7";

  const PolicyDiff diff = DiffPolicies(installed, script);
  EXPECT_TRUE(diff.removed_ids.empty());
  EXPECT_TRUE(diff.added.empty());
}

TEST(PolicyDiffTest, RemovedAndAddedPolicies) {
  const std::vector<esp::Policy> installed = {
      MakePolicy("10.1.0.0", "10.2.0.0", esp::PolicyDirection::kOut, 1),
      MakePolicy("10.1.0.0", "10.3.0.0", esp::PolicyDirection::kOut, 2)};
  const std::vector<esp::Policy> script = {
      MakePolicy("10.1.0.0", "10.2.0.0", esp::PolicyDirection::kOut),
      MakePolicy("10.1.0.0", "10.4.0.0", esp::PolicyDirection::kOut)};

  const PolicyDiff diff = DiffPolicies(installed, script);
  EXPECT_EQ(diff.removed_ids, std::vector<uint32_t>{2});
  ASSERT_EQ(diff.added.size(), 1u);
  EXPECT_EQ(diff.added[0].selector.destination.ToString(), "10.4.0.0/24");
}

TEST(PolicyDiffTest, LevelChangeReplacesPolicy) {
  const std::vector<esp::Policy> installed = {
      MakePolicy("10.1.0.0", "10.2.0.0", esp::PolicyDirection::kOut, 1)};
  std::vector<esp::Policy> script = installed;
  script[0].level = esp::IpsecLevel::kUse;

  const PolicyDiff diff = DiffPolicies(installed, script);
  EXPECT_EQ(diff.removed_ids, std::vector<uint32_t>{1});
  EXPECT_EQ(diff.added.size(), 1u);
}

TEST(PolicyDiffTest, GeneratedPoliciesStay) {
  esp::Policy generated = MakePolicy("10.1.0.0", "10.9.0.0", esp::PolicyDirection::kOut, 5);
  generated.origin = "generate_policy 10.9.0.1[500]";

  const PolicyDiff diff = DiffPolicies({generated}, {});
  EXPECT_TRUE(diff.removed_ids.empty());
}

}  // namespace
}  // namespace ipop::daemon
