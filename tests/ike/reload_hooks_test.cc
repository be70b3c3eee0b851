// The engine side of racoon.conf's passive, generate_policy and script
// directives and of a configuration reload, with two in-memory peers.
#include <gtest/gtest.h>

#include "tests/ike/exchange_harness.h"

namespace ipop::ike::test {
namespace {

class ReloadHooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = MakeVectorNode("10.77.0.1", timers_, 0x1000);
    b_ = MakeVectorNode("10.77.0.2", timers_, 0x2000);
    ASSERT_TRUE(a_->service->LoadCredentials().has_value());
    ASSERT_TRUE(b_->service->LoadCredentials().has_value());
    AddPolicies(*a_);
  }

  // Runs phase 1 and Quick Mode from A to B.
  void Establish() {
    a_->service->Acquire(AcquireFor(*a_, *b_));
    DeliverAll(*a_, *b_);
    timers_.Advance(std::chrono::seconds(1));
    DeliverAll(*a_, *b_);
  }

  ManualTimerService timers_;
  std::unique_ptr<Node> a_;
  std::unique_ptr<Node> b_;
};

TEST_F(ReloadHooksTest, PassiveRemoteOnlyResponds) {
  AddPolicies(*b_);
  b_->config.remotes[0].passive = true;
  LogCapture log;

  b_->service->Acquire(AcquireFor(*b_, *a_));
  EXPECT_TRUE(b_->outbox.queue.empty());
  EXPECT_TRUE(log.Contains("is passive, so only the peer may start a negotiation"));

  Establish();
  EXPECT_EQ(b_->kernel.sas.size(), 2u);
  ASSERT_EQ(b_->service->ListIsakmpSas().size(), 1u);
  EXPECT_TRUE(b_->service->ListIsakmpSas()[0].established);
}

TEST_F(ReloadHooksTest, Phase1EventsCarryScriptsAndPeer) {
  AddPolicies(*b_);
  a_->config.remotes[0].scripts.phase1_up = "/etc/racoon/up.sh";
  std::vector<Phase1Event> events;
  a_->service->SetPhase1EventHandler([&](const Phase1Event& event) { events.push_back(event); });

  Establish();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Phase1EventKind::kUp);
  EXPECT_EQ(events[0].local, a_->endpoint());
  EXPECT_EQ(events[0].remote, b_->endpoint());
  EXPECT_EQ(events[0].scripts.phase1_up, "/etc/racoon/up.sh");
  EXPECT_FALSE(events[0].peer_identity.empty());

  a_->service->Shutdown();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].kind, Phase1EventKind::kDown);
  EXPECT_EQ(events[1].remote, b_->endpoint());
}

TEST_F(ReloadHooksTest, GeneratePolicyInstallsThenRemoves) {
  b_->config.remotes[0].generate_policy = config::GeneratePolicy::kUnique;
  Establish();

  ASSERT_EQ(b_->kernel.sas.size(), 2u);
  ASSERT_EQ(b_->kernel.policies.size(), 2u);
  const esp::Policy& outbound = b_->kernel.policies[0];
  EXPECT_EQ(outbound.direction, esp::PolicyDirection::kOut);
  EXPECT_EQ(outbound.selector.source, (Ipv4Prefix{b_->address, 32}));
  EXPECT_EQ(outbound.selector.destination, (Ipv4Prefix{a_->address, 32}));
  EXPECT_EQ(outbound.level, esp::IpsecLevel::kUnique);
  EXPECT_EQ(outbound.origin, "generate_policy 10.77.0.1[500]");
  const esp::Policy& inbound = b_->kernel.policies[1];
  EXPECT_EQ(inbound.direction, esp::PolicyDirection::kIn);
  EXPECT_EQ(inbound.selector.source, (Ipv4Prefix{a_->address, 32}));
  for (const esp::EspSaConfig& sa : b_->kernel.sas) {
    EXPECT_EQ(sa.policy_id, sa.inbound ? inbound.id : outbound.id);
  }

  // A's Deletes remove B's SAs, and the generated policies with them.
  a_->service->Shutdown();
  DeliverAll(*a_, *b_);
  EXPECT_TRUE(b_->kernel.sas.empty());
  EXPECT_TRUE(b_->kernel.policies.empty());
}

TEST_F(ReloadHooksTest, WithoutGeneratePolicyNothingIsAdded) {
  Establish();
  EXPECT_TRUE(b_->kernel.policies.empty());
}

TEST_F(ReloadHooksTest, ReconfigureKeepsMatchingSas) {
  AddPolicies(*b_);
  Establish();
  ASSERT_EQ(b_->kernel.sas.size(), 2u);

  config::RuntimeConfig next = b_->config;
  next.remotes[0].nonce_size = 32;
  auto reloaded = b_->service->Reconfigure(b_->config, std::move(next));
  ASSERT_TRUE(reloaded.has_value()) << reloaded.error().detail;
  EXPECT_EQ(b_->config.remotes[0].nonce_size, 32u);
  EXPECT_EQ(b_->kernel.sas.size(), 2u);
  EXPECT_TRUE(b_->outbox.queue.empty());
  ASSERT_EQ(b_->service->ListIsakmpSas().size(), 1u);
}

TEST_F(ReloadHooksTest, ReconfigureDropsSasOfRemovedSainfo) {
  AddPolicies(*b_);
  Establish();
  ASSERT_EQ(a_->kernel.sas.size(), 2u);

  config::RuntimeConfig next = b_->config;
  next.sainfos.clear();
  ASSERT_TRUE(b_->service->Reconfigure(b_->config, std::move(next)).has_value());
  EXPECT_TRUE(b_->kernel.sas.empty());
  // The ISAKMP SA stays, because the remote section does, and carries the
  // Delete that makes A drop its side.
  ASSERT_EQ(b_->service->ListIsakmpSas().size(), 1u);
  DeliverAll(*a_, *b_);
  EXPECT_TRUE(a_->kernel.sas.empty());
  ASSERT_EQ(a_->service->ListIsakmpSas().size(), 1u);
}

TEST_F(ReloadHooksTest, ReconfigureDropsSasOfRemovedPolicy) {
  AddPolicies(*b_);
  Establish();
  b_->kernel.policies.clear();

  ASSERT_TRUE(b_->service->Reconfigure(b_->config, b_->config).has_value());
  EXPECT_TRUE(b_->kernel.sas.empty());
}

TEST_F(ReloadHooksTest, ReconfigureDropsIsakmpSaOfRemovedRemote) {
  AddPolicies(*b_);
  std::vector<Phase1Event> events;
  b_->service->SetPhase1EventHandler([&](const Phase1Event& event) { events.push_back(event); });
  Establish();

  config::RuntimeConfig next = b_->config;
  next.remotes[0].address = Address("10.77.0.99");
  ASSERT_TRUE(b_->service->Reconfigure(b_->config, std::move(next)).has_value());
  EXPECT_TRUE(b_->kernel.sas.empty());
  timers_.Advance(std::chrono::seconds(1));
  EXPECT_TRUE(b_->service->ListIsakmpSas().empty());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].kind, Phase1EventKind::kDown);

  DeliverAll(*a_, *b_);
  EXPECT_TRUE(a_->kernel.sas.empty());
  timers_.Advance(std::chrono::seconds(1));
  EXPECT_TRUE(a_->service->ListIsakmpSas().empty());
}

TEST_F(ReloadHooksTest, ReconfigureWithBadCredentialsChangesNothing) {
  AddPolicies(*b_);
  Establish();

  config::RuntimeConfig next = b_->config;
  next.remotes[0].certificate_file = "/nonexistent/cert.pem";
  next.sainfos.clear();
  auto reloaded = b_->service->Reconfigure(b_->config, std::move(next));
  ASSERT_FALSE(reloaded.has_value());
  EXPECT_NE(reloaded.error().detail.find("/nonexistent/cert.pem"), std::string::npos)
      << reloaded.error().detail;
  EXPECT_EQ(b_->config.sainfos.size(), 1u);
  EXPECT_EQ(b_->kernel.sas.size(), 2u);
}

}  // namespace
}  // namespace ipop::ike::test
