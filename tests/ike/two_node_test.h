// A GoogleTest fixture with two nodes of exchange_harness.h, A (10.77.0.1)
// and B (10.77.0.2), on one mock clock, and checks shared by exchange tests.
#ifndef IPOP_TESTS_IKE_TWO_NODE_TEST_H_
#define IPOP_TESTS_IKE_TWO_NODE_TEST_H_

#include <gtest/gtest.h>

#include <memory>
#include <utility>

#include "tests/ike/exchange_harness.h"

namespace ipop::ike::test {

class TwoNodeTest : public ::testing::Test {
 protected:
  // Creates both nodes, loads their credentials and adds the policies.
  void MakeNodes(config::RuntimeConfig config_a, config::RuntimeConfig config_b) {
    a_ = std::make_unique<Node>("10.77.0.1", std::move(config_a), timers_, 0x1000);
    b_ = std::make_unique<Node>("10.77.0.2", std::move(config_b), timers_, 0x2000);
    auto loaded_a = a_->service->LoadCredentials();
    ASSERT_TRUE(loaded_a.has_value()) << ToString(loaded_a.error());
    auto loaded_b = b_->service->LoadCredentials();
    ASSERT_TRUE(loaded_b.has_value()) << ToString(loaded_b.error());
    AddPolicies(*a_);
    AddPolicies(*b_);
  }

  // Returns true when `node` has exactly one ISAKMP SA and it is established.
  static bool Established(Node& node) {
    auto list = node.service->ListIsakmpSas();
    return list.size() == 1 && list[0].established;
  }

  // Checks that each node's outbound SA is the other's inbound SA, keys
  // included.
  void ExpectMatchingEspSas() {
    ASSERT_EQ(a_->kernel.sas.size(), 2u);
    ASSERT_EQ(b_->kernel.sas.size(), 2u);
    for (auto [sender, receiver] : {std::pair{a_.get(), b_.get()}, std::pair{b_.get(), a_.get()}}) {
      const esp::EspSaConfig* outbound = sender->kernel.FindDirection(false);
      ASSERT_NE(outbound, nullptr);
      const esp::EspSaConfig* inbound = receiver->kernel.Find(outbound->spi);
      ASSERT_NE(inbound, nullptr);
      EXPECT_EQ(ToHex(outbound->cipher_key.view()), ToHex(inbound->cipher_key.view()));
      EXPECT_EQ(ToHex(outbound->integrity_key.view()), ToHex(inbound->integrity_key.view()));
    }
  }

  ManualTimerService timers_;
  std::unique_ptr<Node> a_;
  std::unique_ptr<Node> b_;
};

}  // namespace ipop::ike::test

#endif  // IPOP_TESTS_IKE_TWO_NODE_TEST_H_
