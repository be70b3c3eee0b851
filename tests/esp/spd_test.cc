#include "esp/spd.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ipop::esp {
namespace {

Ipv4Prefix Prefix(const char* address, uint8_t length) {
  return Ipv4Prefix{*Ipv4Address::Parse(address), length};
}

Policy MakePolicy(const char* source, uint8_t source_length, const char* destination,
                  uint8_t destination_length, PolicyDirection direction,
                  PolicyAction action = PolicyAction::kIpsec, uint8_t protocol = kAnyProtocol,
                  uint16_t source_port = kAnyPort, uint16_t destination_port = kAnyPort) {
  Policy policy;
  policy.selector.source = Prefix(source, source_length);
  policy.selector.destination = Prefix(destination, destination_length);
  policy.selector.protocol = protocol;
  policy.selector.source_port = source_port;
  policy.selector.destination_port = destination_port;
  policy.direction = direction;
  policy.action = action;
  return policy;
}

FiveTuple Tuple(const char* source, const char* destination, uint8_t protocol,
                uint16_t source_port = 0, uint16_t destination_port = 0) {
  return FiveTuple{*Ipv4Address::Parse(source), *Ipv4Address::Parse(destination), protocol,
                   source_port, destination_port};
}

// The policy pair operators install, plus narrower exceptions: IKE in clear
// and a discarded telnet port.
class SpdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = *spd_.Add(MakePolicy("192.168.1.0", 16, "192.168.1.0", 16, PolicyDirection::kOut));
    in_ = *spd_.Add(MakePolicy("192.168.1.0", 16, "192.168.1.0", 16, PolicyDirection::kIn));
    ike_ = *spd_.Add(MakePolicy("192.168.0.0", 16, "192.168.0.0", 16, PolicyDirection::kOut,
                                PolicyAction::kBypass, 17, 500, 500));
    telnet_ = *spd_.Add(MakePolicy("0.0.0.0", 0, "192.168.5.7", 32, PolicyDirection::kOut,
                                   PolicyAction::kDiscard, 6, kAnyPort, 23));
  }

  uint32_t LookupId(PolicyDirection direction, const FiveTuple& tuple) const {
    const Policy* policy = spd_.Lookup(direction, tuple);
    return policy == nullptr ? 0 : policy->id;
  }

  Spd spd_;
  Policy out_, in_, ike_, telnet_;
};

TEST_F(SpdTest, AssignsDistinctIds) {
  EXPECT_NE(out_.id, 0u);
  EXPECT_NE(out_.id, in_.id);
  EXPECT_NE(in_.id, ike_.id);
  EXPECT_NE(ike_.id, telnet_.id);
}

TEST_F(SpdTest, MatchTable) {
  struct Case {
    std::string name;
    PolicyDirection direction;
    FiveTuple tuple;
    uint32_t expected_id;
  };
  const std::vector<Case> cases = {
      {"prefix with host bits matches", PolicyDirection::kOut,
       Tuple("192.168.1.100", "192.168.1.101", 1), out_.id},
      {"other /16 address matches", PolicyDirection::kOut,
       Tuple("192.168.200.1", "192.168.3.4", 6, 40000, 80), out_.id},
      {"outside prefix", PolicyDirection::kOut, Tuple("10.0.0.1", "192.168.1.101", 1), 0},
      {"destination outside prefix", PolicyDirection::kOut,
       Tuple("192.168.1.100", "192.169.0.1", 1), 0},
      {"direction in", PolicyDirection::kIn, Tuple("192.168.1.101", "192.168.1.100", 1),
       in_.id},
      {"no fwd policy", PolicyDirection::kFwd, Tuple("192.168.1.101", "192.168.1.100", 1), 0},
      {"IKE ports bypass", PolicyDirection::kOut,
       Tuple("192.168.1.100", "192.168.1.101", 17, 500, 500), ike_.id},
      {"UDP other port protected", PolicyDirection::kOut,
       Tuple("192.168.1.100", "192.168.1.101", 17, 500, 4500), out_.id},
      {"TCP 500 not the UDP exception", PolicyDirection::kOut,
       Tuple("192.168.1.100", "192.168.1.101", 6, 500, 500), out_.id},
      {"host prefix and port discard", PolicyDirection::kOut,
       Tuple("192.168.1.100", "192.168.5.7", 6, 33000, 23), telnet_.id},
      {"host prefix other port", PolicyDirection::kOut,
       Tuple("192.168.1.100", "192.168.5.7", 6, 33000, 22), out_.id},
      {"host prefix other protocol", PolicyDirection::kOut,
       Tuple("192.168.1.100", "192.168.5.7", 17, 33000, 23), out_.id},
      {"IKE exception only outbound", PolicyDirection::kIn,
       Tuple("192.168.1.101", "192.168.1.100", 17, 500, 500), in_.id},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    EXPECT_EQ(LookupId(test_case.direction, test_case.tuple), test_case.expected_id);
  }
}

TEST_F(SpdTest, OrdersMostSpecificFirst) {
  const std::vector<Policy>& policies = spd_.policies();
  ASSERT_EQ(policies.size(), 4u);
  EXPECT_EQ(policies[0].id, telnet_.id);  // /32 destination
  EXPECT_EQ(policies[1].id, ike_.id);     // /16 with protocol and ports
  EXPECT_EQ(policies[2].id, out_.id);     // /16 any, added first
  EXPECT_EQ(policies[3].id, in_.id);
}

TEST_F(SpdTest, RejectsDuplicateSelector) {
  auto again = spd_.Add(MakePolicy("192.168.7.7", 16, "192.168.0.0", 16, PolicyDirection::kOut));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(SpdTest, AcceptsSameSelectorOtherDirection) {
  auto fwd = spd_.Add(MakePolicy("192.168.1.0", 16, "192.168.1.0", 16, PolicyDirection::kFwd));
  EXPECT_TRUE(fwd.has_value());
}

TEST_F(SpdTest, DeleteRemovesPolicy) {
  ASSERT_TRUE(spd_.Delete(telnet_.id).has_value());

  EXPECT_EQ(spd_.Find(telnet_.id), nullptr);
  EXPECT_EQ(LookupId(PolicyDirection::kOut, Tuple("192.168.1.100", "192.168.5.7", 6, 1, 23)),
            out_.id);
}

TEST_F(SpdTest, DeleteUnknownIdFails) {
  auto deleted = spd_.Delete(9999);
  ASSERT_FALSE(deleted.has_value());
  EXPECT_EQ(deleted.error().code, ErrorCode::kNotFound);
}

TEST(SpdOrder, SourcePrefixBreaksTie) {
  Selector narrow;
  narrow.source = Prefix("10.0.0.0", 24);
  narrow.destination = Prefix("10.1.0.0", 16);
  Selector wide = narrow;
  wide.source = Prefix("10.0.0.0", 8);

  EXPECT_TRUE(MoreSpecific(narrow, wide));
  EXPECT_FALSE(MoreSpecific(wide, narrow));
  EXPECT_FALSE(MoreSpecific(narrow, narrow));
}

}  // namespace
}  // namespace ipop::esp
