#include "esp/xfrm/guard_plan.h"

#include <arpa/inet.h>

#include <gtest/gtest.h>

#include <vector>

#include "esp/xfrm/netlink_attr.h"
#include "esp/xfrm/xfrm_guard.h"

namespace ipop::esp::xfrm {
namespace {

Policy MakePolicy(const char* source, uint8_t source_length, const char* destination,
                  uint8_t destination_length, PolicyDirection direction) {
  Policy policy;
  policy.selector.source = Ipv4Prefix{*Ipv4Address::Parse(source), source_length};
  policy.selector.destination =
      Ipv4Prefix{*Ipv4Address::Parse(destination), destination_length};
  policy.direction = direction;
  policy.action = PolicyAction::kIpsec;
  policy.level = IpsecLevel::kRequire;
  policy.origin = "setkey.conf:1";
  return policy;
}

// The racoon-era pair: out and in over the same overlay range.
std::vector<Policy> OverlayPair() {
  return {MakePolicy("192.168.1.0", 16, "192.168.1.0", 16, PolicyDirection::kOut),
          MakePolicy("192.168.1.0", 16, "192.168.1.0", 16, PolicyDirection::kIn)};
}

TEST(GuardPlan, IndexRangeBoundaries) {
  EXPECT_FALSE(IsGuardPolicyIndex(kGuardIndexBase - 1));
  EXPECT_TRUE(IsGuardPolicyIndex(kGuardIndexBase));
  EXPECT_TRUE(IsGuardPolicyIndex(kGuardIndexEnd - 1));
  EXPECT_FALSE(IsGuardPolicyIndex(kGuardIndexEnd));
  EXPECT_FALSE(IsGuardPolicyIndex(8));  // the kernel's first own index
}

TEST(GuardPlan, RequireBecomesEspTemplate) {
  Result<std::vector<KernelPolicy>> plan = ToKernelPolicies(OverlayPair(), 100);

  ASSERT_TRUE(plan.has_value()) << ToString(plan.error());
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_EQ((*plan)[0].direction, XFRM_POLICY_OUT);
  EXPECT_EQ((*plan)[1].direction, XFRM_POLICY_IN);
  for (const KernelPolicy& policy : *plan) {
    EXPECT_EQ(policy.action, XFRM_POLICY_ALLOW);
    ASSERT_TRUE(policy.esp_template.has_value());
    EXPECT_EQ(policy.esp_template->optional, 0);
    EXPECT_EQ(policy.index, 0u);
  }
}

TEST(GuardPlan, PrioritiesFollowSpdOrder) {
  Result<std::vector<KernelPolicy>> plan = ToKernelPolicies(OverlayPair(), 100);

  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ((*plan)[0].priority, 100u);
  EXPECT_EQ((*plan)[1].priority, 101u);
}

TEST(GuardPlan, ActionsPerSpdEntry) {
  std::vector<Policy> policies = OverlayPair();
  policies[0].level = IpsecLevel::kUse;
  Policy bypass = MakePolicy("192.168.1.100", 32, "192.168.1.1", 32, PolicyDirection::kOut);
  bypass.action = PolicyAction::kBypass;
  Policy discard = MakePolicy("192.168.1.100", 32, "192.168.1.2", 32, PolicyDirection::kOut);
  discard.action = PolicyAction::kDiscard;
  policies.push_back(bypass);
  policies.push_back(discard);

  Result<std::vector<KernelPolicy>> plan = ToKernelPolicies(policies, 0);

  ASSERT_TRUE(plan.has_value()) << ToString(plan.error());
  EXPECT_FALSE((*plan)[0].esp_template.has_value());  // "use" passes cleartext
  EXPECT_EQ((*plan)[0].action, XFRM_POLICY_ALLOW);
  EXPECT_TRUE((*plan)[1].esp_template.has_value());
  EXPECT_FALSE((*plan)[2].esp_template.has_value());
  EXPECT_EQ((*plan)[2].action, XFRM_POLICY_ALLOW);
  EXPECT_FALSE((*plan)[3].esp_template.has_value());
  EXPECT_EQ((*plan)[3].action, XFRM_POLICY_BLOCK);
}

TEST(GuardPlan, TunnelModeGetsTunnelTemplate) {
  std::vector<Policy> policies = OverlayPair();
  policies[1].mode = IpsecMode::kTunnel;
  policies[1].tunnel_source = *Ipv4Address::Parse("192.0.2.2");
  policies[1].tunnel_destination = *Ipv4Address::Parse("192.0.2.1");

  Result<std::vector<KernelPolicy>> plan = ToKernelPolicies(policies, 0);

  ASSERT_TRUE(plan.has_value()) << ToString(plan.error());
  ASSERT_TRUE((*plan)[1].esp_template.has_value());
  const xfrm_user_tmpl& tmpl = *(*plan)[1].esp_template;
  EXPECT_EQ(tmpl.mode, XFRM_MODE_TUNNEL);
  EXPECT_EQ(tmpl.optional, 0);
  EXPECT_EQ(tmpl.id.proto, 50);
  // Network byte order, as the kernel reads xfrm_address_t.
  EXPECT_EQ(ntohl(tmpl.saddr.a4), 0xc0000202u);
  EXPECT_EQ(ntohl(tmpl.id.daddr.a4), 0xc0000201u);
  ASSERT_TRUE((*plan)[0].esp_template.has_value());
  EXPECT_EQ((*plan)[0].esp_template->mode, XFRM_MODE_TRANSPORT);
}

TEST(GuardPlan, RejectsDuplicateSelector) {
  std::vector<Policy> policies = OverlayPair();
  policies.push_back(policies[0]);

  Result<std::vector<KernelPolicy>> plan = ToKernelPolicies(policies, 0);

  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(plan.error().detail.find("dir out 192.168.0.0/16"), std::string::npos);
}

TEST(GuardPlan, FreshIndexesCarryDirection) {
  std::vector<KernelPolicy> plan = *ToKernelPolicies(OverlayPair(), 0);

  ASSERT_TRUE(AssignIndexes(plan, {}).has_value());

  EXPECT_EQ(plan[0].index, kGuardIndexBase + XFRM_POLICY_OUT);
  EXPECT_EQ(plan[1].index, kGuardIndexBase + 8 + XFRM_POLICY_IN);
  for (const KernelPolicy& policy : plan) {
    EXPECT_EQ(policy.index & 7, policy.direction);
    EXPECT_TRUE(IsGuardPolicyIndex(policy.index));
  }
}

TEST(GuardPlan, LeftoverKeepsItsIndex) {
  std::vector<KernelPolicy> plan = *ToKernelPolicies(OverlayPair(), 0);
  KernelPolicy leftover = plan[1];
  leftover.index = kGuardIndexBase + 5 * 8 + XFRM_POLICY_IN;

  ASSERT_TRUE(AssignIndexes(plan, {leftover}).has_value());

  EXPECT_EQ(plan[1].index, leftover.index);
  EXPECT_EQ(plan[0].index, kGuardIndexBase + XFRM_POLICY_OUT);
}

TEST(GuardPlan, SkipsIndexOfReplacedLeftover) {
  std::vector<Policy> policies = OverlayPair();
  Policy narrower = MakePolicy("192.168.1.0", 16, "192.168.1.0", 24, PolicyDirection::kOut);
  policies.push_back(narrower);
  std::vector<KernelPolicy> plan = *ToKernelPolicies(policies, 0);
  KernelPolicy leftover = plan[0];
  leftover.index = kGuardIndexBase + XFRM_POLICY_OUT;  // slot 0

  ASSERT_TRUE(AssignIndexes(plan, {leftover}).has_value());

  // Slot 0 still has a free index for direction in, but not for out.
  EXPECT_EQ(plan[0].index, kGuardIndexBase + XFRM_POLICY_OUT);
  EXPECT_EQ(plan[1].index, kGuardIndexBase + XFRM_POLICY_IN);
  EXPECT_EQ(plan[2].index, kGuardIndexBase + 8 + XFRM_POLICY_OUT);
}

TEST(GuardPlan, StaleLeftoverIndexIsReused) {
  std::vector<KernelPolicy> plan = *ToKernelPolicies(OverlayPair(), 0);
  KernelPolicy stale = plan[0];
  stale.selector.prefixlen_d = 8;  // not in the new plan, so deleted first
  stale.index = kGuardIndexBase + XFRM_POLICY_OUT;

  ASSERT_TRUE(AssignIndexes(plan, {stale}).has_value());

  EXPECT_EQ(plan[0].index, kGuardIndexBase + XFRM_POLICY_OUT);
}

TEST(GuardPlan, RejectsForeignPolicyWithSameKey) {
  std::vector<KernelPolicy> plan = *ToKernelPolicies(OverlayPair(), 0);
  KernelPolicy foreign = plan[0];
  foreign.index = 137;  // chosen by the kernel, so not ours

  Result<void> assigned = AssignIndexes(plan, {foreign});

  ASSERT_FALSE(assigned.has_value());
  EXPECT_EQ(assigned.error().code, ErrorCode::kInvalidState);
  EXPECT_NE(assigned.error().detail.find("index 137"), std::string::npos);
}

TEST(GuardPlan, IgnoresMarkedPolicyWithSameSelector) {
  std::vector<KernelPolicy> plan = *ToKernelPolicies(OverlayPair(), 0);
  KernelPolicy marked = plan[0];
  marked.index = 137;
  marked.has_mark_or_interface = true;

  ASSERT_TRUE(AssignIndexes(plan, {marked}).has_value());

  EXPECT_EQ(plan[0].index, kGuardIndexBase + XFRM_POLICY_OUT);
}

TEST(GuardPlan, UnrelatedForeignPolicyIgnored) {
  std::vector<KernelPolicy> plan = *ToKernelPolicies(OverlayPair(), 0);
  KernelPolicy other;
  other.direction = XFRM_POLICY_OUT;
  other.index = 200;  // kernel-chosen, with another (empty) selector

  ASSERT_TRUE(AssignIndexes(plan, {other}).has_value());

  EXPECT_EQ(plan[0].index, kGuardIndexBase + XFRM_POLICY_OUT);
}

}  // namespace
}  // namespace ipop::esp::xfrm
