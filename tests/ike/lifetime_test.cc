// Lifetime choice under racoon's proposal_check levels, the SA Life
// attributes of RFC 2407 §4.5 and the rekey points.
#include <gtest/gtest.h>

#include <chrono>
#include <ostream>

#include "ike/constants.h"
#include "ike/lifetime.h"

namespace ipop::ike {
namespace {

using config::ProposalCheck;
using std::chrono::seconds;

struct ChoiceCase {
  const char* name;
  ProposalCheck check;
  Lifetime offered;
  Lifetime configured;
  bool accepted;
  Lifetime chosen;
  bool notify;
};

// gtest lists a parameter's raw bytes (heap addresses included) after each
// test name, and ctest takes that into its test names; print the name.
void PrintTo(const ChoiceCase& test_case, std::ostream* out) { *out << test_case.name; }

// The expected columns follow the level rules stated in ike/lifetime.h.
const ChoiceCase kChoiceCases[] = {
    {"obey_longer", ProposalCheck::kObey, {seconds(7200), 0}, {seconds(3600), 0}, true, {seconds(7200), 0}, false},
    {"obey_shorter", ProposalCheck::kObey, {seconds(600), 0}, {seconds(3600), 0}, true, {seconds(600), 0}, false},
    {"strict_shorter", ProposalCheck::kStrict, {seconds(600), 0}, {seconds(3600), 0}, true, {seconds(600), 0}, false},
    {"strict_equal", ProposalCheck::kStrict, {seconds(3600), 0}, {seconds(3600), 0}, true, {seconds(3600), 0}, false},
    {"strict_longer", ProposalCheck::kStrict, {seconds(7200), 0}, {seconds(3600), 0}, false, {}, false},
    {"claim_shorter", ProposalCheck::kClaim, {seconds(600), 0}, {seconds(3600), 0}, true, {seconds(600), 0}, false},
    {"claim_longer", ProposalCheck::kClaim, {seconds(7200), 0}, {seconds(3600), 0}, true, {seconds(3600), 0}, true},
    {"exact_equal", ProposalCheck::kExact, {seconds(3600), 0}, {seconds(3600), 0}, true, {seconds(3600), 0}, false},
    {"exact_shorter", ProposalCheck::kExact, {seconds(600), 0}, {seconds(3600), 0}, false, {}, false},
    {"exact_longer", ProposalCheck::kExact, {seconds(7200), 0}, {seconds(3600), 0}, false, {}, false},
    // A missing byte limit is longer than any limit.
    {"strict_bytes_unlimited_offer", ProposalCheck::kStrict, {seconds(600), 0}, {seconds(3600), 1000}, false, {},
     false},
    {"strict_bytes_smaller_offer", ProposalCheck::kStrict, {seconds(600), 500}, {seconds(3600), 1000}, true,
     {seconds(600), 500}, false},
    {"strict_bytes_none_configured", ProposalCheck::kStrict, {seconds(600), 500}, {seconds(3600), 0}, true,
     {seconds(600), 500}, false},
    {"claim_bytes_unlimited_offer", ProposalCheck::kClaim, {seconds(600), 0}, {seconds(3600), 1000}, true,
     {seconds(600), 1000}, true},
    {"exact_bytes_differ", ProposalCheck::kExact, {seconds(3600), 500}, {seconds(3600), 1000}, false, {}, false},
};

class ResponderLifetimeTest : public ::testing::TestWithParam<ChoiceCase> {};

TEST_P(ResponderLifetimeTest, FollowsProposalCheck) {
  const ChoiceCase& c = GetParam();
  auto choice = ChooseResponderLifetime(c.check, c.offered, c.configured, /*phase2=*/true);
  ASSERT_EQ(choice.has_value(), c.accepted);
  if (!c.accepted) {
    EXPECT_EQ(choice.error().notify, kNotifyNoProposalChosen);
    return;
  }
  EXPECT_EQ(choice->lifetime.seconds, c.chosen.seconds);
  EXPECT_EQ(choice->lifetime.kilobytes, c.chosen.kilobytes);
  EXPECT_EQ(choice->notify_initiator, c.notify);
}

INSTANTIATE_TEST_SUITE_P(Levels, ResponderLifetimeTest, ::testing::ValuesIn(kChoiceCases),
                         [](const ::testing::TestParamInfo<ChoiceCase>& param_info) { return param_info.param.name; });

TEST(ResponderLifetime, ClaimInPhaseOneSendsNoNotify) {
  auto choice = ChooseResponderLifetime(ProposalCheck::kClaim, {seconds(28800), 0}, {seconds(3600), 0},
                                        /*phase2=*/false);
  ASSERT_TRUE(choice.has_value());
  EXPECT_EQ(choice->lifetime.seconds, seconds(3600));
  EXPECT_FALSE(choice->notify_initiator);
}

TEST(IpsecLifetimeAttributes, EncodeMatchesRfc2407Layout) {
  // RFC 2407 §4.5: SA Life Type (1) = seconds (1), SA Life Duration (2) =
  // 3600 = 0x0e10, both in the basic form (AF bit 0x8000 set); then Life
  // Type = kilobytes (2) and a duration of 100000 = 0x000186a0, which needs
  // the variable form: type 2 without the AF bit, length 4, value.
  const Bytes encoded = EncodeDataAttributes(EncodeIpsecLifetime(Lifetime{seconds(3600), 100000}));
  EXPECT_EQ(ToHex(encoded), "80010001" "80020e10" "80010002" "00020004000186a0");
}

TEST(IpsecLifetimeAttributes, DecodeRoundTrip) {
  const Lifetime lifetime{seconds(86400), 4096};
  auto attributes = ParseDataAttributes(EncodeDataAttributes(EncodeIpsecLifetime(lifetime)));
  ASSERT_TRUE(attributes.has_value());
  auto decoded = DecodeIpsecLifetime(*attributes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, lifetime);
}

TEST(IpsecLifetimeAttributes, DecodeRejectsDurationWithoutType) {
  const std::vector<DataAttribute> attributes = {DataAttribute::Basic(kIpsecAttributeSaLifeDuration, 60)};
  EXPECT_FALSE(DecodeIpsecLifetime(attributes).has_value());
}

TEST(IpsecLifetimeAttributes, DecodeRejectsUnknownLifeType) {
  const std::vector<DataAttribute> attributes = {DataAttribute::Basic(kIpsecAttributeSaLifeType, 3),
                                                 DataAttribute::Basic(kIpsecAttributeSaLifeDuration, 60)};
  EXPECT_FALSE(DecodeIpsecLifetime(attributes).has_value());
}

TEST(IpsecLifetimeAttributes, ParseRejectsTruncatedAttribute) {
  const Bytes truncated = {std::byte{0x00}, std::byte{0x02}, std::byte{0x00}, std::byte{0x04}, std::byte{0x01}};
  EXPECT_FALSE(ParseDataAttributes(truncated).has_value());
}

TEST(RekeyDelay, InitiatorBetween75And80Percent) {
  for (uint32_t random : {0u, 1u, 12345u, 0xffffffffu}) {
    const Duration delay = RekeyDelay(seconds(100), /*initiator=*/true, random);
    EXPECT_LE(delay, seconds(80)) << random;
    EXPECT_GE(delay, seconds(75)) << random;
  }
  EXPECT_EQ(RekeyDelay(seconds(100), true, 0), seconds(80));
}

TEST(RekeyDelay, ResponderBetween85And90Percent) {
  for (uint32_t random : {0u, 1u, 12345u, 0xffffffffu}) {
    const Duration delay = RekeyDelay(seconds(100), /*initiator=*/false, random);
    EXPECT_LE(delay, seconds(90)) << random;
    EXPECT_GE(delay, seconds(85)) << random;
  }
}

TEST(RekeyBytes, EightyAndNinetyPercent) {
  EXPECT_EQ(RekeyBytes(1000, true), 819200u);
  EXPECT_EQ(RekeyBytes(1000, false), 921600u);
  EXPECT_EQ(RekeyBytes(0, true), 0u);
}

}  // namespace
}  // namespace ipop::ike
