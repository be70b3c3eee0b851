#include "esp/userspace_backend.h"

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/esp/esp_test_util.h"

namespace ipop::esp {
namespace {

using test::kAlgorithms;
using test::MakeSaConfig;

TEST(UserspaceBackend, NameIsUserspace) {
  UserspaceBackend backend;
  EXPECT_STREQ(backend.name(), "userspace");
}

TEST(UserspaceBackend, AllocatesUniqueSpisAboveReserved) {
  UserspaceBackend backend;
  std::set<uint32_t> seen;
  for (int i = 0; i < 2000; ++i) {
    auto spi = backend.AllocateSpi(test::Address("10.0.0.2"), test::Address("10.0.0.1"));
    ASSERT_TRUE(spi.has_value());
    EXPECT_GE(*spi, kMinSpi);
    EXPECT_TRUE(seen.insert(*spi).second) << "SPI " << *spi << " returned twice";
  }
}

TEST(UserspaceBackend, AddSaPublishesSnapshot) {
  UserspaceBackend backend;
  int publications = 0;
  backend.set_snapshot_listener([&publications] { ++publications; });
  const uint64_t before = backend.snapshot()->generation;

  auto spi = backend.AllocateSpi(test::Address("10.0.0.2"), test::Address("10.0.0.1"));
  ASSERT_TRUE(spi.has_value());
  auto added =
      backend.AddSa(MakeSaConfig(kAlgorithms[0], *spi, "10.0.0.2", "10.0.0.1", true));
  ASSERT_TRUE(added.has_value()) << ToString(added.error());

  auto snapshot = backend.snapshot();
  EXPECT_GT(snapshot->generation, before);
  EXPECT_EQ(publications, 1);
  EXPECT_NE(snapshot->FindInbound(*spi, test::Address("10.0.0.1")), nullptr);
  EXPECT_EQ(snapshot->FindInbound(*spi, test::Address("10.0.0.9")), nullptr);
  EXPECT_EQ(snapshot->FindInbound(*spi + 1, test::Address("10.0.0.1")), nullptr);
}

TEST(UserspaceBackend, OldSnapshotKeepsDeletedSa) {
  UserspaceBackend backend;
  ASSERT_TRUE(
      backend.AddSa(MakeSaConfig(kAlgorithms[0], 5000, "10.0.0.2", "10.0.0.1", true)).has_value());
  auto old_snapshot = backend.snapshot();

  ASSERT_TRUE(backend.DeleteSa(5000, test::Address("10.0.0.1")).has_value());

  EXPECT_NE(old_snapshot->FindInbound(5000, test::Address("10.0.0.1")), nullptr);
  EXPECT_EQ(backend.snapshot()->FindInbound(5000, test::Address("10.0.0.1")), nullptr);
}

TEST(UserspaceBackend, AddSaRejectsInvalidConfigs) {
  UserspaceBackend backend;
  struct Case {
    const char* name;
    EspSaConfig config;
    ErrorCode expected;
  };
  std::vector<Case> cases;
  cases.push_back({"reserved SPI", MakeSaConfig(kAlgorithms[0], 255, "10.0.0.1", "10.0.0.2", false),
                   ErrorCode::kInvalidArgument});
  {
    EspSaConfig config = MakeSaConfig(kAlgorithms[0], 1002, "10.0.0.1", "10.0.0.2", true);
    config.replay_window = kMaxReplayWindow + 1;
    cases.push_back({"replay window too large", std::move(config), ErrorCode::kInvalidArgument});
  }
  {
    EspSaConfig config = MakeSaConfig(kAlgorithms[0], 1003, "10.0.0.1", "10.0.0.2", false);
    config.cipher_key.Truncate(10);
    cases.push_back({"short cipher key", std::move(config), ErrorCode::kInvalidArgument});
  }
  for (Case& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    auto added = backend.AddSa(std::move(test_case.config));
    ASSERT_FALSE(added.has_value());
    EXPECT_EQ(added.error().code, test_case.expected) << ToString(added.error());
  }
  EXPECT_TRUE(backend.ListSas().empty());
}

TEST(UserspaceBackend, AddSaRejectsDuplicate) {
  UserspaceBackend backend;
  ASSERT_TRUE(
      backend.AddSa(MakeSaConfig(kAlgorithms[0], 4242, "10.0.0.2", "10.0.0.1", true)).has_value());

  auto again = backend.AddSa(MakeSaConfig(kAlgorithms[1], 4242, "10.0.0.3", "10.0.0.1", true));

  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidArgument);
}

TEST(UserspaceBackend, DeleteUnknownSaFails) {
  UserspaceBackend backend;
  auto deleted = backend.DeleteSa(777, test::Address("10.0.0.1"));
  ASSERT_FALSE(deleted.has_value());
  EXPECT_EQ(deleted.error().code, ErrorCode::kNotFound);
}

TEST(UserspaceBackend, ListSasReportsStatus) {
  UserspaceBackend backend;
  EspSaConfig config = MakeSaConfig(kAlgorithms[4], 9000, "10.0.0.1", "10.0.0.2", false);
  config.policy_id = 3;
  ASSERT_TRUE(backend.AddSa(std::move(config)).has_value());

  const std::vector<EspSaStatus> sas = backend.ListSas();
  ASSERT_EQ(sas.size(), 1u);
  EXPECT_EQ(sas[0].spi, 9000u);
  EXPECT_EQ(sas[0].source, test::Address("10.0.0.1"));
  EXPECT_EQ(sas[0].destination, test::Address("10.0.0.2"));
  EXPECT_FALSE(sas[0].inbound);
  EXPECT_EQ(sas[0].cipher, crypto::EspCipher::kAesCbc);
  EXPECT_EQ(sas[0].aes_key_bits, 256u);
  EXPECT_EQ(sas[0].integrity, crypto::EspIntegrity::kHmacSha256_128);
  EXPECT_EQ(sas[0].policy_id, 3u);
  EXPECT_EQ(sas[0].backend, "userspace");
  EXPECT_EQ(sas[0].packets, 0u);
}

TEST(UserspaceBackend, OutboundLookupPrefersNewestSa) {
  UserspaceBackend backend;
  Policy policy;
  policy.selector.source = {test::Address("10.0.0.0"), 24};
  policy.selector.destination = {test::Address("10.0.0.0"), 24};
  auto added_policy = backend.AddPolicy(policy);
  ASSERT_TRUE(added_policy.has_value());
  ASSERT_TRUE(
      backend.AddSa(MakeSaConfig(kAlgorithms[0], 600, "10.0.0.1", "10.0.0.2", false)).has_value());
  ASSERT_TRUE(
      backend.AddSa(MakeSaConfig(kAlgorithms[0], 700, "10.0.0.1", "10.0.0.2", false)).has_value());

  SecurityAssociation* sa = backend.snapshot()->FindOutbound(
      *added_policy, test::Address("10.0.0.1"), test::Address("10.0.0.2"));

  ASSERT_NE(sa, nullptr);
  EXPECT_EQ(sa->spi(), 700u);
}

TEST(UserspaceBackend, PoliciesListedAndDeleted) {
  UserspaceBackend backend;
  Policy policy;
  policy.selector.source = {test::Address("10.0.0.0"), 24};
  policy.selector.destination = {test::Address("10.0.0.0"), 24};
  auto added = backend.AddPolicy(policy);
  ASSERT_TRUE(added.has_value());
  ASSERT_EQ(backend.ListPolicies().size(), 1u);
  EXPECT_NE(backend.snapshot()->spd.Find(added->id), nullptr);

  ASSERT_TRUE(backend.DeletePolicy(added->id).has_value());

  EXPECT_TRUE(backend.ListPolicies().empty());
  EXPECT_EQ(backend.snapshot()->spd.Find(added->id), nullptr);
}

// Readers load snapshots while the IKE side adds and deletes SAs; run under
// ThreadSanitizer this checks the publication scheme.
TEST(UserspaceBackend, SnapshotsReadWhileMutating) {
  UserspaceBackend backend;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> lookups{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto snapshot = backend.snapshot();
        SecurityAssociation* sa = snapshot->FindInbound(4000, test::Address("10.0.0.1"));
        if (sa != nullptr) {
          sa->CountPacket(1);
        }
        lookups.fetch_add(1);
      }
    });
  }

  while (lookups.load() == 0) {
    std::this_thread::yield();
  }
  for (int round = 0; round < 200; ++round) {
    // EXPECT, not ASSERT: returning early would leave the readers running.
    EXPECT_TRUE(backend.AddSa(MakeSaConfig(kAlgorithms[3], 4000, "10.0.0.2", "10.0.0.1", true))
                    .has_value());
    EXPECT_TRUE(backend.DeleteSa(4000, test::Address("10.0.0.1")).has_value());
  }
  stop = true;
  for (std::thread& reader : readers) {
    reader.join();
  }
  EXPECT_GT(lookups.load(), 0u);
  EXPECT_TRUE(backend.ListSas().empty());
}

// Two workers race to commit the same sequence numbers: each number must be
// accepted exactly once.
TEST(SecurityAssociation, ConcurrentCommitsAcceptEachNumberOnce) {
  auto sa = SecurityAssociation::Create(
      MakeSaConfig(kAlgorithms[0], 4001, "10.0.0.2", "10.0.0.1", true), 2,
      std::chrono::system_clock::now());
  ASSERT_TRUE(sa.has_value());
  constexpr uint32_t kCount = 20000;
  std::atomic<uint32_t> accepted{0};
  auto worker = [&] {
    for (uint32_t sequence = 1; sequence <= kCount; ++sequence) {
      if ((*sa)->CheckReplay(sequence) == ReplayVerdict::kAccept &&
          (*sa)->CommitReplay(sequence)) {
        accepted.fetch_add(1);
      }
    }
  };
  std::thread first(worker);
  std::thread second(worker);
  first.join();
  second.join();

  EXPECT_EQ(accepted.load(), kCount);
}

}  // namespace
}  // namespace ipop::esp
