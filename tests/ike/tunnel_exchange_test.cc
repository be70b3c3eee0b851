// Quick Mode in tunnel mode between two in-memory gateways: A (10.77.0.1)
// with subnet 10.1.0.0/16 and B (10.77.0.2) with 10.2.0.0/16. The IDs carry
// the subnets (ID_IPV4_ADDR_SUBNET), and each side's SAs serve its own
// tunnel policies.
#include <gtest/gtest.h>

#include "ike/message.h"
#include "ike/payload_identification.h"
#include "ike/payload_nonce.h"
#include "ike/traffic_selectors.h"
#include "tests/ike/exchange_harness.h"

namespace ipop::ike::test {
namespace {

esp::Policy TunnelPolicy(esp::PolicyDirection direction, const char* source, const char* destination,
                         const char* tunnel_source, const char* tunnel_destination) {
  esp::Policy policy;
  policy.selector.source = Ipv4Prefix{Address(source), 16};
  policy.selector.destination = Ipv4Prefix{Address(destination), 16};
  policy.direction = direction;
  policy.mode = esp::IpsecMode::kTunnel;
  policy.tunnel_source = Address(tunnel_source);
  policy.tunnel_destination = Address(tunnel_destination);
  return policy;
}

class TunnelExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = MakeNode("10.77.0.1", 0x1000);
    b_ = MakeNode("10.77.0.2", 0x2000);
    // A: out and in, as a gateway that is itself in its subnet would write.
    a_out_ = *a_->kernel.AddPolicy(
        TunnelPolicy(esp::PolicyDirection::kOut, "10.1.0.0", "10.2.0.0", "10.77.0.1", "10.77.0.2"));
    a_in_ = *a_->kernel.AddPolicy(
        TunnelPolicy(esp::PolicyDirection::kIn, "10.2.0.0", "10.1.0.0", "10.77.0.2", "10.77.0.1"));
    // B: out and fwd, as a gateway that forwards to hosts behind it.
    b_out_ = *b_->kernel.AddPolicy(
        TunnelPolicy(esp::PolicyDirection::kOut, "10.2.0.0", "10.1.0.0", "10.77.0.2", "10.77.0.1"));
  }

  std::unique_ptr<Node> MakeNode(const char* address, uint32_t first_spi) {
    auto node = std::make_unique<Node>(
        address, MakeConfig(address, kCertDir + "/" + address, kCertDir + "/rootCA.pem", RacoonSuite()),
        timers_, first_spi);
    auto loaded = node->service->LoadCredentials();
    EXPECT_TRUE(loaded.has_value()) << ToString(loaded.error());
    return node;
  }

  // A packet from host 10.1.0.5 to host 10.2.0.7 makes A request an SA.
  void AcquireFromHost() {
    esp::AcquireRequest request;
    request.policy_id = a_out_.id;
    request.source = Address("10.1.0.5");
    request.destination = Address("10.2.0.7");
    a_->service->Acquire(request);
    DeliverAll(*a_, *b_);
  }

  ManualTimerService timers_;
  std::unique_ptr<Node> a_;
  std::unique_ptr<Node> b_;
  esp::Policy a_out_;
  esp::Policy a_in_;
  esp::Policy b_out_;
};

TEST_F(TunnelExchangeTest, SubnetsNegotiateTunnelSas) {
  const esp::Policy b_fwd = *b_->kernel.AddPolicy(
      TunnelPolicy(esp::PolicyDirection::kFwd, "10.1.0.0", "10.2.0.0", "10.77.0.1", "10.77.0.2"));
  LogCapture log;

  AcquireFromHost();

  ASSERT_EQ(a_->kernel.sas.size(), 2u);
  ASSERT_EQ(b_->kernel.sas.size(), 2u);
  for (Node* node : {a_.get(), b_.get()}) {
    for (const esp::EspSaConfig& sa : node->kernel.sas) {
      EXPECT_EQ(sa.mode, esp::IpsecMode::kTunnel);
      // The SAs run between the gateways, not the hosts.
      EXPECT_TRUE(sa.source == a_->address || sa.source == b_->address);
      EXPECT_TRUE(sa.destination == a_->address || sa.destination == b_->address);
    }
  }
  const esp::EspSaConfig* a_outbound = a_->kernel.FindDirection(false);
  ASSERT_NE(a_outbound, nullptr);
  const esp::EspSaConfig* b_inbound = b_->kernel.Find(a_outbound->spi);
  ASSERT_NE(b_inbound, nullptr);
  EXPECT_EQ(a_outbound->policy_id, a_out_.id);
  EXPECT_EQ(b_inbound->policy_id, b_fwd.id);
  EXPECT_EQ(a_->kernel.FindDirection(true)->policy_id, a_in_.id);
  EXPECT_EQ(b_->kernel.FindDirection(false)->policy_id, b_out_.id);
  EXPECT_NE(log.text.find("IPsec-SA established: ESP/Tunnel 10.77.0.1[500]->10.77.0.2[500]"),
            std::string::npos)
      << log.text;
}

TEST_F(TunnelExchangeTest, ResponderRejectsUncoveredSubnet) {
  // B protects 10.2.0.0/16 only for 10.9.0.0/16, not for A's 10.1.0.0/16.
  (void)b_->kernel.AddPolicy(
      TunnelPolicy(esp::PolicyDirection::kFwd, "10.9.0.0", "10.2.0.0", "10.77.0.1", "10.77.0.2"));
  LogCapture log;

  AcquireFromHost();

  EXPECT_TRUE(b_->kernel.sas.empty());
  EXPECT_EQ(b_->service->counters().phase2_failed, 1u);
  EXPECT_NE(log.text.find("no tunnel-mode in or fwd policy covers 10.1.0.0/16 -> 10.2.0.0/16"),
            std::string::npos)
      << log.text;
}

TEST(TrafficSelectors, PrefixCovers) {
  const Ipv4Prefix wide{Address("10.0.0.0"), 8};
  EXPECT_TRUE(PrefixCovers(wide, Ipv4Prefix{Address("10.1.0.0"), 16}));
  EXPECT_TRUE(PrefixCovers(wide, wide));
  EXPECT_FALSE(PrefixCovers(Ipv4Prefix{Address("10.1.0.0"), 16}, wide));
  EXPECT_FALSE(PrefixCovers(wide, Ipv4Prefix{Address("11.0.0.0"), 16}));
}

TEST(TrafficSelectors, AcquireGoesToGateway) {
  std::vector<esp::Policy> policies = {
      TunnelPolicy(esp::PolicyDirection::kOut, "10.1.0.0", "10.2.0.0", "192.0.2.1", "192.0.2.2")};
  policies[0].id = 7;
  esp::AcquireRequest request{.policy_id = 7,
                              .source = Address("10.1.0.5"),
                              .destination = Address("10.2.0.7"),
                              .protocol = 6};

  const esp::AcquireRequest routed = AcquireTowardsGateway(policies, request);

  EXPECT_EQ(routed.policy_id, 7u);
  EXPECT_EQ(routed.source, Address("192.0.2.1"));
  EXPECT_EQ(routed.destination, Address("192.0.2.2"));
  EXPECT_EQ(routed.protocol, 6);
  policies[0].mode = esp::IpsecMode::kTransport;
  EXPECT_EQ(AcquireTowardsGateway(policies, request).destination, Address("10.2.0.7"));
}

TEST(TrafficSelectors, GatewaysMustMatch) {
  std::vector<esp::Policy> policies = {
      TunnelPolicy(esp::PolicyDirection::kOut, "10.1.0.0", "10.2.0.0", "192.0.2.1", "192.0.2.2"),
      TunnelPolicy(esp::PolicyDirection::kIn, "10.2.0.0", "10.1.0.0", "192.0.2.2", "192.0.2.1")};
  policies[0].id = 1;
  policies[1].id = 2;
  TunnelSelectors selectors{.local = Ipv4Prefix{Address("10.1.2.0"), 24},
                            .remote = Ipv4Prefix{Address("10.2.0.0"), 16},
                            .protocol = 0,
                            .local_gateway = Address("192.0.2.1"),
                            .remote_gateway = Address("192.0.2.2")};

  auto matched = MatchTunnelPolicies(policies, selectors);
  ASSERT_TRUE(matched.has_value()) << ToString(matched.error());
  EXPECT_EQ(matched->outbound_policy_id, 1u);
  EXPECT_EQ(matched->inbound_policy_id, 2u);

  selectors.remote_gateway = Address("192.0.2.3");
  auto other_gateway = MatchTunnelPolicies(policies, selectors);
  ASSERT_FALSE(other_gateway.has_value());
  EXPECT_EQ(other_gateway.error().notify, kNotifyInvalidIdInformation);
}

TEST(TrafficSelectors, InitiatorNeedsIsakmpAddresses) {
  std::vector<esp::Policy> policies = {
      TunnelPolicy(esp::PolicyDirection::kOut, "10.1.0.0", "10.2.0.0", "192.0.2.1", "192.0.2.2"),
      TunnelPolicy(esp::PolicyDirection::kIn, "10.2.0.0", "10.1.0.0", "192.0.2.2", "192.0.2.1")};
  policies[0].id = 1;
  policies[0].origin = "gateway.conf:1";
  policies[1].id = 2;

  auto prepared = PrepareInitiatorTunnel(policies, policies[0], Address("192.0.2.1"), Address("192.0.2.2"));
  ASSERT_TRUE(prepared.has_value()) << ToString(prepared.error());
  EXPECT_EQ(prepared->selectors.local, (Ipv4Prefix{Address("10.1.0.0"), 16}));
  EXPECT_EQ(prepared->selectors.remote, (Ipv4Prefix{Address("10.2.0.0"), 16}));
  EXPECT_EQ(prepared->policies.inbound_policy_id, 2u);

  // IKE from another local address than the policy's tunnel source.
  auto other_local = PrepareInitiatorTunnel(policies, policies[0], Address("192.0.2.9"), Address("192.0.2.2"));
  ASSERT_FALSE(other_local.has_value());
  EXPECT_NE(other_local.error().detail.find("gateway.conf:1 runs from 192.0.2.1 to 192.0.2.2"),
            std::string::npos)
      << other_local.error().detail;
}

// Builds a Quick Mode message 2 body with the given IDs, as the initiator
// has it after decryption.
Message ReplyWithIds(const std::vector<IdentificationPayload>& ids) {
  IsakmpHeader header;
  header.initiator_cookie.fill(std::byte{0x11});
  header.responder_cookie.fill(std::byte{0x22});
  header.exchange_type = ExchangeType::kQuickMode;
  header.message_id = 1;
  MessageBuilder builder(header);
  builder.Add(NoncePayload{Bytes(16, std::byte{0x4e})});
  for (const IdentificationPayload& id : ids) {
    builder.Add(id);
  }
  auto message = ParseMessage(builder.Build());
  EXPECT_TRUE(message.has_value()) << ToString(message.error());
  return std::move(*message);
}

TEST(TrafficSelectors, ReturnedIdsChecked) {
  const TunnelSelectors selectors{.local = Ipv4Prefix{Address("10.1.0.0"), 16},
                                  .remote = Ipv4Prefix{Address("10.2.0.0"), 16},
                                  .protocol = 0,
                                  .local_gateway = Address("192.0.2.1"),
                                  .remote_gateway = Address("192.0.2.2")};
  const IdentificationPayload local = IdentificationPayload::FromIpv4Subnet(selectors.local);
  const IdentificationPayload remote = IdentificationPayload::FromIpv4Subnet(selectors.remote);
  const IdentificationPayload other =
      IdentificationPayload::FromIpv4Subnet(Ipv4Prefix{Address("10.2.1.0"), 24});

  EXPECT_TRUE(CheckReturnedTunnelIds(ReplyWithIds({local, remote}), selectors).has_value());

  auto narrowed = CheckReturnedTunnelIds(ReplyWithIds({local, other}), selectors);
  ASSERT_FALSE(narrowed.has_value());
  EXPECT_EQ(narrowed.error().notify, kNotifyInvalidIdInformation);
  EXPECT_NE(narrowed.error().detail.find("IDcr 10.2.1.0/24"), std::string::npos) << narrowed.error().detail;

  auto swapped = CheckReturnedTunnelIds(ReplyWithIds({remote, local}), selectors);
  ASSERT_FALSE(swapped.has_value());
  EXPECT_NE(swapped.error().detail.find("IDci 10.2.0.0/16"), std::string::npos) << swapped.error().detail;

  auto missing = CheckReturnedTunnelIds(ReplyWithIds({}), selectors);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().notify, kNotifyInvalidIdInformation);
}

}  // namespace
}  // namespace ipop::ike::test
