// Lifetimes, rekeying and simultaneous initiation between two in-memory
// peers on a mock clock. Covered: phase 2 rekey at the soft point, removal
// of the old pair with a Delete (RFC 2408 §3.15), proposal_check and
// RESPONDER-LIFETIME (RFC 2407 §4.6.3.1), and phase 1 `rekey on|off|force`.
// Also duplicate pairs from simultaneous negotiations, and Quick Mode
// message IDs scoped per ISAKMP SA.
#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <set>

#include "ike/isakmp_header.h"
#include "ike/message.h"
#include "tests/ike/exchange_harness.h"

namespace ipop::ike::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::optional<ExchangeType> ExchangeTypeOf(const Datagram& datagram) {
  auto message = ParseMessage(datagram.bytes);
  if (!message) {
    return std::nullopt;
  }
  return message->header().exchange_type;
}

size_t CountQueued(const Node& node, ExchangeType type) {
  size_t count = 0;
  for (const Datagram& datagram : node.outbox.queue) {
    if (ExchangeTypeOf(datagram) == type) {
      ++count;
    }
  }
  return count;
}

std::set<uint32_t> SpisOf(const Node& node) {
  std::set<uint32_t> spis;
  for (const esp::EspSaConfig& sa : node.kernel.sas) {
    spis.insert(sa.spi);
  }
  return spis;
}

class RekeyTest : public ::testing::Test {
 protected:
  // Builds both nodes; `edit` changes a node's configuration before its
  // service starts.
  void MakeNodes(const std::function<void(config::RuntimeConfig&, bool is_a)>& edit = nullptr) {
    const Suite suite = RacoonSuite();
    config::RuntimeConfig config_a =
        MakeConfig("10.77.0.1", kCertDir + "/10.77.0.1", kCertDir + "/rootCA.pem", suite);
    config::RuntimeConfig config_b =
        MakeConfig("10.77.0.2", kCertDir + "/10.77.0.2", kCertDir + "/rootCA.pem", suite);
    if (edit) {
      edit(config_a, true);
      edit(config_b, false);
    }
    a_ = std::make_unique<Node>("10.77.0.1", std::move(config_a), timers_, 0x1000);
    b_ = std::make_unique<Node>("10.77.0.2", std::move(config_b), timers_, 0x2000);
    for (Node* node : {a_.get(), b_.get()}) {
      auto loaded = node->service->LoadCredentials();
      ASSERT_TRUE(loaded.has_value()) << ToString(loaded.error());
      AddPolicies(*node);
    }
  }

  void SetPhase2Lifetime(seconds lifetime) {
    MakeNodes([lifetime](config::RuntimeConfig& config, bool) { config.sainfos[0].lifetime = lifetime; });
  }

  // A starts Main Mode and Quick Mode; returns once both have one pair.
  void Negotiate() {
    a_->service->Acquire(AcquireFor(*a_, *b_));
    DeliverAll(*a_, *b_);
    ASSERT_EQ(a_->kernel.sas.size(), 2u);
    ASSERT_EQ(b_->kernel.sas.size(), 2u);
  }

  // Checks that every outbound SA of one node is an inbound SA of the other
  // with the same keys, and that each node has exactly `pairs` pairs.
  void ExpectConsistentPairs(size_t pairs) {
    ASSERT_EQ(a_->kernel.sas.size(), 2 * pairs);
    ASSERT_EQ(b_->kernel.sas.size(), 2 * pairs);
    ExpectOutboundKnownToPeer(*a_, *b_);
    ExpectOutboundKnownToPeer(*b_, *a_);
  }

  // Lets `duration` pass in steps of one second, delivering every message
  // after each step.
  void RunFor(seconds duration) {
    for (seconds passed{0}; passed < duration; passed += seconds(1)) {
      timers_.Advance(seconds(1));
      DeliverAll(*a_, *b_);
    }
  }

  ManualTimerService timers_;
  std::unique_ptr<Node> a_;
  std::unique_ptr<Node> b_;
};

// ---- phase 2 rekey ----

TEST_F(RekeyTest, InitiatorRekeysAtSoftPoint) {
  SetPhase2Lifetime(seconds(100));
  Negotiate();
  const std::set<uint32_t> old_a = SpisOf(*a_);

  // The initiator's soft point is 75 to 80 s; the responder's is 85 to 90 s.
  timers_.Advance(milliseconds(74900));
  EXPECT_EQ(CountQueued(*a_, ExchangeType::kQuickMode), 0u);
  timers_.Advance(milliseconds(5200));
  EXPECT_EQ(CountQueued(*a_, ExchangeType::kQuickMode), 1u);
  EXPECT_EQ(CountQueued(*b_, ExchangeType::kQuickMode), 0u);

  // HDR*, HASH(1), SA, Ni, KE, IDci, IDcr -->, <-- HASH(2) ..., HASH(3) -->
  EXPECT_EQ(DeliverAll(*a_, *b_), 3);
  ExpectConsistentPairs(2);
  EXPECT_EQ(a_->service->counters().phase2_established, 2u);

  // The responder's later soft point finds its old pair replaced.
  timers_.Advance(seconds(10));
  EXPECT_EQ(CountQueued(*b_, ExchangeType::kQuickMode), 0u);
  // Without traffic on the new pair the old one goes after the grace time.
  EXPECT_GE(CountQueued(*a_, ExchangeType::kInformational) + CountQueued(*b_, ExchangeType::kInformational), 1u);
  DeliverAll(*a_, *b_);
  ExpectConsistentPairs(1);
  for (uint32_t spi : SpisOf(*a_)) {
    EXPECT_FALSE(old_a.contains(spi)) << spi;
  }
}

TEST_F(RekeyTest, OldPairDeletedOnceSuccessorCarriesTraffic) {
  LogCapture log;
  SetPhase2Lifetime(seconds(100));
  Negotiate();
  const std::set<uint32_t> old_b = SpisOf(*b_);
  timers_.Advance(seconds(80));
  DeliverAll(*a_, *b_);
  ASSERT_EQ(b_->kernel.sas.size(), 4u);

  // A packet arrives on B's new inbound SA.
  for (const esp::EspSaConfig& sa : b_->kernel.sas) {
    if (sa.inbound && !old_b.contains(sa.spi)) {
      b_->kernel.packets[sa.spi] = 1;
    }
  }
  timers_.Advance(milliseconds(1000));
  // HDR*, HASH(1), D -->, naming B's old inbound SPI.
  ASSERT_EQ(CountQueued(*b_, ExchangeType::kInformational), 1u);
  EXPECT_TRUE(log.Contains("its successor carries traffic"));
  DeliverAll(*a_, *b_);
  ExpectConsistentPairs(1);
  EXPECT_TRUE(log.Contains("purged IPsec-SA proto_id=ESP"));
}

TEST_F(RekeyTest, ResponderRekeysWhenInitiatorCannot) {
  SetPhase2Lifetime(seconds(100));
  Negotiate();
  // Every message A sends from now on is lost.
  for (int step = 0; step < 90; ++step) {
    timers_.Advance(seconds(1));
    a_->outbox.queue.clear();
  }
  EXPECT_EQ(CountQueued(*b_, ExchangeType::kQuickMode), 1u);
  // B's Quick Mode gets through and its pair replaces the old one on both
  // sides; A's own attempt times out.
  RunFor(seconds(40));
  EXPECT_GE(a_->service->counters().phase2_established, 2u);
  ExpectConsistentPairs(1);
}

TEST_F(RekeyTest, HardLifetimeRemovesPairAndSendsDelete) {
  LogCapture log;
  SetPhase2Lifetime(seconds(100));
  Negotiate();
  // Both rekey attempts are lost.
  for (int step = 0; step < 20; ++step) {
    timers_.Advance(seconds(5));
    a_->outbox.queue.clear();
    b_->outbox.queue.clear();
  }
  EXPECT_TRUE(log.Contains("IPsec-SA expired: ESP/Transport 10.77.0.1->10.77.0.2"));
  EXPECT_TRUE(a_->kernel.sas.empty());
  EXPECT_TRUE(b_->kernel.sas.empty());
}

TEST_F(RekeyTest, ContinuesOverSeveralGenerations) {
  SetPhase2Lifetime(seconds(60));
  Negotiate();
  std::set<uint32_t> outbound_spis;
  for (int second = 0; second < 300; ++second) {
    RunFor(seconds(1));
    // At every moment A has an outbound SA that B can receive on.
    size_t usable = 0;
    for (const esp::EspSaConfig& sa : a_->kernel.sas) {
      if (!sa.inbound && b_->kernel.Find(sa.spi) != nullptr) {
        ++usable;
        outbound_spis.insert(sa.spi);
      }
    }
    ASSERT_GE(usable, 1u) << "no usable SA at second " << second;
    ASSERT_LE(a_->kernel.sas.size(), 4u) << "old pairs pile up at second " << second;
  }
  // A rekey every 45 to 48 s: at least six generations in 300 s.
  EXPECT_GE(outbound_spis.size(), 6u);
}

TEST_F(RekeyTest, XfrmSoftExpireStartsOneRekey) {
  SetPhase2Lifetime(seconds(100));
  Negotiate();
  const esp::EspSaConfig* outbound = a_->kernel.FindDirection(false);
  ASSERT_NE(outbound, nullptr);
  // The kernel's soft limit is the engine's delay rounded up to a second.
  EXPECT_GE(outbound->lifetime.soft_time, seconds(75));
  EXPECT_LE(outbound->lifetime.soft_time, seconds(80));
  EXPECT_EQ(outbound->lifetime.hard_time, seconds(100));

  LogCapture log;
  a_->service->HandleSaExpire(esp::SaExpire{outbound->spi, outbound->destination, /*hard=*/false});
  EXPECT_EQ(CountQueued(*a_, ExchangeType::kQuickMode), 1u);
  // The engine's own timer at the same point starts nothing more.
  timers_.Advance(seconds(80));
  EXPECT_EQ(log.Count("reached its soft lifetime; negotiating its successor"), 1u);
  EXPECT_EQ(log.Count("initiate new phase 2 negotiation"), 1u);
}

TEST_F(RekeyTest, XfrmHardExpireRemovesPair) {
  SetPhase2Lifetime(seconds(100));
  Negotiate();
  const esp::EspSaConfig* inbound = a_->kernel.FindDirection(true);
  ASSERT_NE(inbound, nullptr);
  a_->service->HandleSaExpire(esp::SaExpire{inbound->spi, inbound->destination, /*hard=*/true});
  EXPECT_TRUE(a_->kernel.sas.empty());
  EXPECT_EQ(CountQueued(*a_, ExchangeType::kInformational), 1u);
  DeliverAll(*a_, *b_);
  EXPECT_TRUE(b_->kernel.sas.empty());
}

TEST_F(RekeyTest, ByteLifetimeSetsKernelLimits) {
  MakeNodes([](config::RuntimeConfig& config, bool) { config.sainfos[0].lifetime_kilobytes = 1000; });
  Negotiate();
  for (const Node* node : {a_.get(), b_.get()}) {
    for (const esp::EspSaConfig& sa : node->kernel.sas) {
      EXPECT_EQ(sa.lifetime.hard_bytes, 1024000u);
    }
  }
  // 80% on the initiator's SAs, 90% on the responder's.
  EXPECT_EQ(a_->kernel.FindDirection(false)->lifetime.soft_bytes, 819200u);
  EXPECT_EQ(b_->kernel.FindDirection(false)->lifetime.soft_bytes, 921600u);
}

// ---- proposal_check and RESPONDER-LIFETIME ----

struct CheckCase {
  const char* name;
  config::ProposalCheck check;
  seconds offered;     // A's sainfo lifetime
  seconds configured;  // B's sainfo lifetime
  bool established;
  seconds used;  // hard lifetime of both sides' SAs
};

// gtest lists a parameter's raw bytes (heap addresses included) after each
// test name, and ctest takes that into its test names; print the name.
void PrintTo(const CheckCase& test_case, std::ostream* out) { *out << test_case.name; }

class ProposalCheckTest : public RekeyTest, public ::testing::WithParamInterface<CheckCase> {};

TEST_P(ProposalCheckTest, ChoosesLifetime) {
  const CheckCase& c = GetParam();
  LogCapture log;
  MakeNodes([&c](config::RuntimeConfig& config, bool is_a) {
    config.sainfos[0].lifetime = is_a ? c.offered : c.configured;
    config.remotes[0].proposal_check = c.check;
  });
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverAll(*a_, *b_);
  if (!c.established) {
    EXPECT_TRUE(a_->kernel.sas.empty());
    EXPECT_TRUE(b_->kernel.sas.empty());
    EXPECT_EQ(b_->service->counters().phase2_failed, 1u);
    return;
  }
  ExpectConsistentPairs(1);
  for (const Node* node : {a_.get(), b_.get()}) {
    for (const esp::EspSaConfig& sa : node->kernel.sas) {
      EXPECT_EQ(sa.lifetime.hard_time, c.used) << node->address.ToString();
    }
  }
  EXPECT_EQ(log.Contains("RESPONDER-LIFETIME from 10.77.0.2[500]"), c.offered != c.used);
}

INSTANTIATE_TEST_SUITE_P(
    Levels, ProposalCheckTest,
    ::testing::Values(CheckCase{"obey_longer", config::ProposalCheck::kObey, seconds(7200), seconds(3600), true,
                                seconds(7200)},
                      CheckCase{"strict_shorter", config::ProposalCheck::kStrict, seconds(1800), seconds(3600),
                                true, seconds(1800)},
                      CheckCase{"strict_longer", config::ProposalCheck::kStrict, seconds(7200), seconds(3600),
                                false, seconds(0)},
                      CheckCase{"claim_longer", config::ProposalCheck::kClaim, seconds(7200), seconds(3600), true,
                                seconds(3600)},
                      CheckCase{"exact_equal", config::ProposalCheck::kExact, seconds(3600), seconds(3600), true,
                                seconds(3600)},
                      CheckCase{"exact_shorter", config::ProposalCheck::kExact, seconds(1800), seconds(3600),
                                false, seconds(0)}),
    [](const ::testing::TestParamInfo<CheckCase>& param_info) { return param_info.param.name; });

TEST_F(RekeyTest, ResponderLifetimeNotifyInQuickModeTwo) {
  MakeNodes([](config::RuntimeConfig& config, bool is_a) {
    config.sainfos[0].lifetime = is_a ? seconds(7200) : seconds(3600);
    config.remotes[0].proposal_check = config::ProposalCheck::kClaim;
  });
  a_->service->Acquire(AcquireFor(*a_, *b_));
  for (int step = 0; step < 6; ++step) {
    DeliverOne(step % 2 == 0 ? *a_ : *b_, step % 2 == 0 ? *b_ : *a_);
  }
  DeliverOne(*a_, *b_);  // Quick Mode message 1
  // B's message 2 is encrypted, so its notify shows in the result instead.
  // A obeys it and installs SAs that live 3600 s, not the 7200 s it offered.
  ASSERT_EQ(CountQueued(*b_, ExchangeType::kQuickMode), 1u);
  DeliverAll(*a_, *b_);
  ASSERT_NE(a_->kernel.FindDirection(false), nullptr);
  EXPECT_EQ(a_->kernel.FindDirection(false)->lifetime.hard_time, seconds(3600));
  EXPECT_EQ(a_->kernel.FindDirection(true)->lifetime.hard_time, seconds(3600));
}

TEST_F(RekeyTest, PhaseOneLifetimeUnderClaimAndStrict) {
  MakeNodes([](config::RuntimeConfig& config, bool is_a) {
    config.remotes[0].proposals[0].lifetime = is_a ? seconds(28800) : seconds(3600);
    config.remotes[0].proposal_check = config::ProposalCheck::kClaim;
  });
  Negotiate();
  ASSERT_EQ(b_->service->ListIsakmpSas().size(), 1u);
  EXPECT_EQ(b_->service->ListIsakmpSas()[0].lifetime, seconds(3600));
  EXPECT_EQ(a_->service->ListIsakmpSas()[0].lifetime, seconds(28800));

  MakeNodes([](config::RuntimeConfig& config, bool is_a) {
    config.remotes[0].proposals[0].lifetime = is_a ? seconds(28800) : seconds(3600);
    config.remotes[0].proposal_check = config::ProposalCheck::kStrict;
  });
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverAll(*a_, *b_);
  EXPECT_EQ(b_->service->counters().phase1_established, 0u);
  EXPECT_TRUE(a_->kernel.sas.empty());
}

// ---- phase 1 rekey ----

TEST_F(RekeyTest, PhaseOneRekeyOnWithPhaseTwo) {
  LogCapture log;
  MakeNodes([](config::RuntimeConfig& config, bool) { config.remotes[0].proposals[0].lifetime = seconds(1000); });
  Negotiate();
  // The initiator's soft point is 750 to 800 s.
  RunFor(seconds(749));
  EXPECT_EQ(a_->service->ListIsakmpSas().size(), 1u);
  RunFor(seconds(51));
  EXPECT_EQ(a_->service->ListIsakmpSas().size(), 2u);
  EXPECT_EQ(b_->service->ListIsakmpSas().size(), 2u);
  EXPECT_EQ(log.Count("ISAKMP-SA established 10.77.0.1[500]-10.77.0.2[500]"), 2u);
  // The old ISAKMP SA expires with a Delete; the ESP SAs stay.
  RunFor(seconds(200));
  EXPECT_EQ(a_->service->ListIsakmpSas().size(), 1u);
  EXPECT_EQ(b_->service->ListIsakmpSas().size(), 1u);
  EXPECT_TRUE(log.Contains("ISAKMP-SA deleted 10.77.0.1[500]-10.77.0.2[500]"));
  ExpectConsistentPairs(1);
}

TEST_F(RekeyTest, PhaseOneRekeyOnWithoutPhaseTwoWaits) {
  MakeNodes([](config::RuntimeConfig& config, bool) { config.remotes[0].proposals[0].lifetime = seconds(1000); });
  Negotiate();
  for (Node* node : {a_.get(), b_.get()}) {
    node->kernel.sas.clear();
  }
  // Both pairs expire, so neither node has a phase 2 SA any more.
  a_->service->HandleSaExpire(esp::SaExpire{0x2000, Address("10.77.0.2"), /*hard=*/true});
  b_->service->HandleSaExpire(esp::SaExpire{0x1000, Address("10.77.0.1"), /*hard=*/true});
  DeliverAll(*a_, *b_);
  timers_.Advance(seconds(950));
  EXPECT_EQ(CountQueued(*a_, ExchangeType::kIdentityProtection), 0u);
  EXPECT_EQ(CountQueued(*b_, ExchangeType::kIdentityProtection), 0u);
}

TEST_F(RekeyTest, PhaseOneRekeyForceWithoutPhaseTwo) {
  LogCapture log;
  MakeNodes([](config::RuntimeConfig& config, bool) {
    config.remotes[0].proposals[0].lifetime = seconds(1000);
    config.remotes[0].rekey = config::Phase1Rekey::kForce;
    config.sainfos.clear();  // no phase 2 at all
  });
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverAll(*a_, *b_);
  ASSERT_EQ(a_->service->counters().phase1_established, 1u);
  RunFor(seconds(800));
  EXPECT_EQ(a_->service->counters().phase1_established, 2u);
}

TEST_F(RekeyTest, PhaseOneRekeyOff) {
  MakeNodes([](config::RuntimeConfig& config, bool) {
    config.remotes[0].proposals[0].lifetime = seconds(1000);
    config.remotes[0].rekey = config::Phase1Rekey::kOff;
  });
  Negotiate();
  timers_.Advance(seconds(999));
  EXPECT_EQ(CountQueued(*a_, ExchangeType::kIdentityProtection), 0u);
  EXPECT_EQ(CountQueued(*b_, ExchangeType::kIdentityProtection), 0u);
  timers_.Advance(seconds(1));
  EXPECT_TRUE(a_->service->ListIsakmpSas().empty());
  EXPECT_EQ(a_->kernel.sas.size(), 2u);
}

// ---- simultaneous initiation ----

TEST_F(RekeyTest, SimultaneousInitiationRetiresDuplicates) {
  MakeNodes();
  // Both nodes send their first packet at the same moment.
  a_->service->Acquire(AcquireFor(*a_, *b_));
  b_->service->Acquire(AcquireFor(*b_, *a_));
  DeliverAll(*a_, *b_);
  ASSERT_GE(a_->kernel.sas.size(), 2u);
  // Nothing is ever sent in clear: every SA that exists has a peer SA.
  ExpectConsistentPairs(a_->kernel.sas.size() / 2);

  timers_.Advance(seconds(11));
  DeliverAll(*a_, *b_);
  // One pair survives, the same one on both sides.
  ExpectConsistentPairs(1);
}

// CKY-I | CKY-R read as one big-endian number, so that the lower value is
// the cookie pair that compares lower byte by byte.
std::pair<uint64_t, uint64_t> CookieOrder(const IsakmpSaStatus& status) {
  return {status.cookie_i, status.cookie_r};
}

TEST_F(RekeyTest, SimultaneousMainModesKeepOneIsakmpSa) {
  LogCapture log;
  MakeNodes();
  a_->service->Acquire(AcquireFor(*a_, *b_));
  b_->service->Acquire(AcquireFor(*b_, *a_));
  DeliverAll(*a_, *b_);
  const std::vector<IsakmpSaStatus> before = a_->service->ListIsakmpSas();
  ASSERT_EQ(before.size(), 2u);
  ASSERT_EQ(b_->service->ListIsakmpSas().size(), 2u);
  const IsakmpSaStatus& expected_survivor =
      CookieOrder(before[0]) < CookieOrder(before[1]) ? before[0] : before[1];
  const std::set<uint32_t> spis_a = SpisOf(*a_);
  const std::set<uint32_t> spis_b = SpisOf(*b_);
  const size_t policies_a = a_->kernel.policies.size();
  const size_t policies_b = b_->kernel.policies.size();

  RunFor(seconds(2));
  const std::vector<IsakmpSaStatus> left_a = a_->service->ListIsakmpSas();
  const std::vector<IsakmpSaStatus> left_b = b_->service->ListIsakmpSas();
  ASSERT_EQ(left_a.size(), 1u);
  ASSERT_EQ(left_b.size(), 1u);
  EXPECT_TRUE(left_a[0].established);
  EXPECT_TRUE(left_b[0].established);
  EXPECT_EQ(left_a[0].cookie_i, left_b[0].cookie_i);
  EXPECT_EQ(left_a[0].cookie_r, left_b[0].cookie_r);
  EXPECT_EQ(left_a[0].cookie_i, expected_survivor.cookie_i);
  EXPECT_EQ(left_a[0].cookie_r, expected_survivor.cookie_r);
  // Each side sent a Delete for the duplicate.
  EXPECT_EQ(log.Count("deleting the duplicate ISAKMP-SA"), 2u);
  EXPECT_EQ(log.Count("ISAKMP-SA deleted"), 2u);
  // The ESP SAs and policies outlive the deleted ISAKMP SA.
  EXPECT_EQ(SpisOf(*a_), spis_a);
  EXPECT_EQ(SpisOf(*b_), spis_b);
  EXPECT_EQ(a_->kernel.policies.size(), policies_a);
  EXPECT_EQ(b_->kernel.policies.size(), policies_b);

  // The duplicate ESP pair still goes, announced through the survivor.
  RunFor(seconds(10));
  ExpectConsistentPairs(1);
  EXPECT_EQ(a_->service->ListIsakmpSas().size(), 1u);
  EXPECT_EQ(b_->service->ListIsakmpSas().size(), 1u);
}

TEST_F(RekeyTest, PhaseOneRekeyIsNotADuplicate) {
  LogCapture log;
  // A 16 s lifetime makes the duplicate window 4 s, and the rekey starts
  // 12 to 12.8 s after the first SA came up.
  MakeNodes([](config::RuntimeConfig& config, bool) { config.remotes[0].proposals[0].lifetime = seconds(16); });
  Negotiate();
  RunFor(seconds(14));
  EXPECT_EQ(a_->service->ListIsakmpSas().size(), 2u);
  EXPECT_EQ(b_->service->ListIsakmpSas().size(), 2u);
  EXPECT_EQ(log.Count("ISAKMP-SA established 10.77.0.1[500]-10.77.0.2[500]"), 2u);
  EXPECT_FALSE(log.Contains("duplicate ISAKMP-SA"));
  EXPECT_FALSE(log.Contains("duplicates"));
}

TEST_F(RekeyTest, SameMessageIdOnTwoIsakmpSas) {
  MakeNodes();
  // Simultaneous Main Modes leave two ISAKMP SAs. Each node runs Quick Mode
  // over the newest one it has, which is the one the other node initiated.
  a_->service->Acquire(AcquireFor(*a_, *b_));
  b_->service->Acquire(AcquireFor(*b_, *a_));
  for (int step = 0; step < 6; ++step) {
    if (!a_->outbox.queue.empty()) {
      DeliverOne(*a_, *b_);
    }
    if (!b_->outbox.queue.empty()) {
      DeliverOne(*b_, *a_);
    }
  }
  ASSERT_EQ(a_->service->ListIsakmpSas().size(), 2u);
  ASSERT_EQ(b_->service->ListIsakmpSas().size(), 2u);
  // From here on both pick the same message IDs.
  auto same_ids = [] {
    auto next = std::make_shared<uint32_t>(0x5a5a0000);
    return [next] { return ++*next; };
  };
  a_->service->SetMessageIdSourceForTesting(same_ids());
  b_->service->SetMessageIdSourceForTesting(same_ids());
  a_->outbox.queue.clear();
  b_->outbox.queue.clear();
  for (Node* node : {a_.get(), b_.get()}) {
    node->kernel.sas.clear();
  }
  a_->service->Acquire(AcquireFor(*a_, *b_));
  b_->service->Acquire(AcquireFor(*b_, *a_));
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  auto header_a = ParseMessage(a_->outbox.queue.front().bytes);
  auto header_b = ParseMessage(b_->outbox.queue.front().bytes);
  ASSERT_TRUE(header_a.has_value());
  ASSERT_TRUE(header_b.has_value());
  EXPECT_EQ(header_a->header().message_id, header_b->header().message_id);
  EXPECT_NE(header_a->header().initiator_cookie, header_b->header().initiator_cookie);

  DeliverAll(*a_, *b_);
  // Both exchanges complete, each with its own keys.
  EXPECT_EQ(a_->kernel.sas.size(), 4u);
  ExpectConsistentPairs(2);
}

}  // namespace
}  // namespace ipop::ike::test
