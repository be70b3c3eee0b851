#include "esp/xfrm/offload_backend.h"

#include <gtest/gtest.h>

namespace ipop::esp::xfrm {
namespace {

TEST(OffloadMode, NamesRoundTrip) {
  for (OffloadMode mode : {OffloadMode::kAuto, OffloadMode::kKernel, OffloadMode::kUserspace}) {
    auto parsed = ParseOffloadMode(OffloadModeName(mode));
    ASSERT_TRUE(parsed.has_value()) << OffloadModeName(mode);
    EXPECT_EQ(*parsed, mode);
  }
  EXPECT_FALSE(ParseOffloadMode("Kernel").has_value());
  EXPECT_FALSE(ParseOffloadMode("").has_value());
}

TEST(AlgorithmFamilies, CbcNeedsCipherAndIntegrity) {
  const auto families =
      FamiliesOf(crypto::EspCipher::k3desCbc, crypto::EspIntegrity::kHmacSha1_96);
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0], AlgorithmFamily::k3desCbc);
  EXPECT_EQ(families[1], AlgorithmFamily::kHmacSha1);
}

TEST(AlgorithmFamilies, Sha256TruncationsShareFamily) {
  for (auto integrity : {crypto::EspIntegrity::kHmacSha256_128, crypto::EspIntegrity::kHmacSha256_96}) {
    const auto families = FamiliesOf(crypto::EspCipher::kAesCbc, integrity);
    ASSERT_EQ(families.size(), 2u);
    EXPECT_EQ(families[0], AlgorithmFamily::kAesCbc);
    EXPECT_EQ(families[1], AlgorithmFamily::kHmacSha256);
  }
}

TEST(AlgorithmFamilies, Sha384AndSha512HaveOwnFamilies) {
  const auto sha384 = FamiliesOf(crypto::EspCipher::kAesCbc, crypto::EspIntegrity::kHmacSha384_192);
  ASSERT_EQ(sha384.size(), 2u);
  EXPECT_EQ(sha384[1], AlgorithmFamily::kHmacSha384);
  const auto sha512 = FamiliesOf(crypto::EspCipher::kAesCbc, crypto::EspIntegrity::kHmacSha512_256);
  ASSERT_EQ(sha512.size(), 2u);
  EXPECT_EQ(sha512[1], AlgorithmFamily::kHmacSha512);
}

TEST(AlgorithmFamilies, GcmIgnoresIntegrity) {
  const auto families = FamiliesOf(crypto::EspCipher::kAesGcm16, crypto::EspIntegrity::kNone);
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0], AlgorithmFamily::kAesGcm);
}

TEST(ProbeReport, UnavailableSummaryNamesReason) {
  ProbeReport report;
  report.rejected[AlgorithmFamily::k3desCbc] =
      "XFRM_MSG_NEWSA: Protocol not supported (Requested type not found)";
  EXPECT_FALSE(report.AcceptsAny());
  EXPECT_EQ(report.Summary(),
            "kernel ESP unavailable (XFRM_MSG_NEWSA: Protocol not supported (Requested type not "
            "found))");
}

TEST(ProbeReport, PartialSummaryListsBoth) {
  ProbeReport report;
  report.accepted = {AlgorithmFamily::kAesCbc, AlgorithmFamily::kHmacSha1};
  report.rejected[AlgorithmFamily::k3desCbc] = "XFRM_MSG_NEWSA: Function not implemented";
  EXPECT_TRUE(report.AcceptsAny());
  EXPECT_TRUE(report.Accepts(AlgorithmFamily::kAesCbc));
  EXPECT_FALSE(report.Accepts(AlgorithmFamily::k3desCbc));
  EXPECT_EQ(report.Summary(),
            "kernel ESP available for aes-cbc hmac-sha1, not for 3des-cbc "
            "(XFRM_MSG_NEWSA: Function not implemented)");
}

EspSaConfig MakeSa(uint32_t spi, bool inbound) {
  EspSaConfig config;
  config.spi = spi;
  config.source = *Ipv4Address::Parse(inbound ? "10.0.0.2" : "10.0.0.1");
  config.destination = *Ipv4Address::Parse(inbound ? "10.0.0.1" : "10.0.0.2");
  config.inbound = inbound;
  config.cipher = crypto::EspCipher::k3desCbc;
  config.integrity = crypto::EspIntegrity::kHmacSha1_96;
  config.cipher_key = crypto::SecretBytes(24);
  config.integrity_key = crypto::SecretBytes(20);
  return config;
}

TEST(OffloadBackend, UserspaceModeCarriesEverything) {
  UserspaceBackend userspace;
  OffloadBackend backend(OffloadMode::kUserspace, userspace, nullptr, ProbeReport{});
  EXPECT_FALSE(backend.kernel_carries_policies());
  EXPECT_STREQ(backend.PolicyCarrier(), "userspace");

  auto spi = backend.AllocateSpi(*Ipv4Address::Parse("10.0.0.2"), *Ipv4Address::Parse("10.0.0.1"));
  ASSERT_TRUE(spi.has_value()) << spi.error().detail;
  EXPECT_GE(*spi, 256u);
  ASSERT_TRUE(backend.AddSa(MakeSa(*spi, true)).has_value());
  ASSERT_TRUE(backend.AddSa(MakeSa(0x1234, false)).has_value());

  const auto sas = backend.ListSas();
  ASSERT_EQ(sas.size(), 2u);
  for (const EspSaStatus& sa : sas) {
    EXPECT_EQ(sa.backend, "userspace");
  }
  ASSERT_TRUE(backend.DeleteSa(0x1234, *Ipv4Address::Parse("10.0.0.2")).has_value());
  EXPECT_EQ(backend.ListSas().size(), 1u);
}

TEST(OffloadBackend, AutoWithoutKernelIsUserspace) {
  UserspaceBackend userspace;
  ProbeReport probe;
  probe.rejected[AlgorithmFamily::k3desCbc] = "unavailable";
  OffloadBackend backend(OffloadMode::kAuto, userspace, nullptr, probe);
  EXPECT_FALSE(backend.kernel_carries_policies());
  Policy policy;
  policy.selector.source = Ipv4Prefix{*Ipv4Address::Parse("10.0.0.1"), 32};
  policy.selector.destination = Ipv4Prefix{*Ipv4Address::Parse("10.0.0.2"), 32};
  auto added = backend.AddPolicy(policy);
  ASSERT_TRUE(added.has_value()) << added.error().detail;
  EXPECT_NE(added->id, 0u);
  EXPECT_EQ(backend.ListPolicies().size(), 1u);
  EXPECT_EQ(userspace.ListPolicies().size(), 1u);
}

TEST(OffloadBackend, AcquireForwardedFromUserspace) {
  UserspaceBackend userspace;
  OffloadBackend backend(OffloadMode::kUserspace, userspace, nullptr, ProbeReport{});
  std::optional<AcquireRequest> seen;
  backend.set_acquire_handler([&seen](const AcquireRequest& request) { seen = request; });
  AcquireRequest request;
  request.policy_id = 7;
  userspace.RequestAcquire(request);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->policy_id, 7u);
}

}  // namespace
}  // namespace ipop::esp::xfrm
