#include "crypto/dh.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tests/ike/racoon_kat_log.h"

namespace ipop::crypto {
namespace {

const std::string kVectorDir =
    std::string(IPOP_TEST_DATA_DIR) + "/vectors/racoon-3des-sha1-modp1024/";

// The 1024-bit MODP prime, typed from RFC 2409 §6.2.
const char kModp1024Prime[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF";

TEST(DhKeyPair, GeneratedPairsAgreeInEveryGroup) {
  for (DhGroup group :
       {DhGroup::kModp768, DhGroup::kModp1024, DhGroup::kModp1536, DhGroup::kModp2048}) {
    Result<DhKeyPair> alice = DhKeyPair::Generate(group);
    Result<DhKeyPair> bob = DhKeyPair::Generate(group);
    ASSERT_TRUE(alice.has_value()) << DhGroupName(group);
    ASSERT_TRUE(bob.has_value()) << DhGroupName(group);
    EXPECT_EQ(alice->public_value().size(), DhGroupBytes(group));
    EXPECT_NE(alice->public_value(), bob->public_value());

    Result<SecretBytes> alice_shared = alice->ComputeShared(bob->public_value());
    Result<SecretBytes> bob_shared = bob->ComputeShared(alice->public_value());
    ASSERT_TRUE(alice_shared.has_value()) << alice_shared.error().detail;
    ASSERT_TRUE(bob_shared.has_value()) << bob_shared.error().detail;
    EXPECT_EQ(alice_shared->size(), DhGroupBytes(group));
    EXPECT_TRUE(ConstantTimeEqual(alice_shared->view(), bob_shared->view())) << DhGroupName(group);
  }
}

// racoon logged both DH exchanges of the capture (Main Mode, then Quick Mode
// PFS), each with the private, public and shared values on both sides.
TEST(DhKeyPair, FromPrivateReproducesRacoonValues) {
  const test::RacoonLog log_a = test::RacoonLog::Load(kVectorDir + "racoon-a.log");
  const test::RacoonLog log_b = test::RacoonLog::Load(kVectorDir + "racoon-b.log");
  for (size_t exchange = 0; exchange < 2; ++exchange) {
    SCOPED_TRACE("DH exchange #" + std::to_string(exchange));
    Result<DhKeyPair> pair_a =
        DhKeyPair::FromPrivate(DhGroup::kModp1024, log_a.Get("compute DH's private.", exchange));
    Result<DhKeyPair> pair_b =
        DhKeyPair::FromPrivate(DhGroup::kModp1024, log_b.Get("compute DH's private.", exchange));
    ASSERT_TRUE(pair_a.has_value()) << pair_a.error().detail;
    ASSERT_TRUE(pair_b.has_value()) << pair_b.error().detail;
    EXPECT_EQ(ToHex(pair_a->public_value()), ToHex(log_a.Get("compute DH's public.", exchange)));
    EXPECT_EQ(ToHex(pair_b->public_value()), ToHex(log_b.Get("compute DH's public.", exchange)));

    const Bytes& racoon_shared = log_a.Get("compute DH's shared.", exchange);
    Result<SecretBytes> shared_a =
        pair_a->ComputeShared(log_b.Get("compute DH's public.", exchange));
    Result<SecretBytes> shared_b =
        pair_b->ComputeShared(log_a.Get("compute DH's public.", exchange));
    ASSERT_TRUE(shared_a.has_value()) << shared_a.error().detail;
    ASSERT_TRUE(shared_b.has_value()) << shared_b.error().detail;
    EXPECT_EQ(ToHex(shared_a->view()), ToHex(racoon_shared));
    EXPECT_EQ(ToHex(shared_b->view()), ToHex(racoon_shared));
  }
}

TEST(DhKeyPair, RejectsInvalidPeerValues) {
  Result<DhKeyPair> pair = DhKeyPair::Generate(DhGroup::kModp1024);
  ASSERT_TRUE(pair.has_value());

  const Bytes prime = HexToBytes(kModp1024Prime);
  Bytes prime_minus_one = prime;
  prime_minus_one.back() = std::byte{0xfe};
  // p ends in ...ECE65381 FFFFFFFF FFFFFFFF, so p+1 ends in ...ECE65382 and
  // eight zero bytes.
  Bytes prime_plus_one = prime;
  std::fill(prime_plus_one.end() - 8, prime_plus_one.end(), std::byte{0});
  prime_plus_one[119] = std::byte{0x82};
  ASSERT_EQ(ToHex(ByteView(prime_plus_one).last(12)), "ece653820000000000000000");

  Bytes zero(128);
  Bytes one(128);
  one.back() = std::byte{1};
  Bytes all_ones(128, std::byte{0xff});

  const struct {
    const char* name;
    Bytes value;
  } kCases[] = {
      {"0", zero},
      {"1", one},
      {"p-1", prime_minus_one},
      {"p", prime},
      {"p+1", prime_plus_one},
      {"2^1024-1", all_ones},
  };
  for (const auto& test_case : kCases) {
    Result<SecretBytes> shared = pair->ComputeShared(test_case.value);
    ASSERT_FALSE(shared.has_value()) << test_case.name;
    EXPECT_EQ(shared.error().code, ErrorCode::kMalformed) << test_case.name;
  }
}

TEST(DhKeyPair, AcceptsBoundaryPeerValues) {
  Result<DhKeyPair> pair = DhKeyPair::Generate(DhGroup::kModp1024);
  ASSERT_TRUE(pair.has_value());
  Bytes two(128);
  two.back() = std::byte{2};
  Bytes prime_minus_two = HexToBytes(kModp1024Prime);
  prime_minus_two.back() = std::byte{0xfd};
  EXPECT_TRUE(pair->ComputeShared(two).has_value());
  EXPECT_TRUE(pair->ComputeShared(prime_minus_two).has_value());
}

TEST(DhKeyPair, RejectsWrongPeerLength) {
  Result<DhKeyPair> pair = DhKeyPair::Generate(DhGroup::kModp1024);
  ASSERT_TRUE(pair.has_value());
  Bytes short_value(127, std::byte{0x42});
  // Numerically valid, but the KE payload must be exactly the modulus length
  // (RFC 2409 §5).
  Bytes long_value(129, std::byte{0x42});
  long_value.front() = std::byte{0};
  EXPECT_FALSE(pair->ComputeShared(short_value).has_value());
  EXPECT_FALSE(pair->ComputeShared(long_value).has_value());
  EXPECT_FALSE(pair->ComputeShared({}).has_value());
}

TEST(DhKeyPair, FromPrivateRejectsBadPrivateValue) {
  EXPECT_FALSE(DhKeyPair::FromPrivate(DhGroup::kModp1024, {}).has_value());
  EXPECT_FALSE(DhKeyPair::FromPrivate(DhGroup::kModp1024, Bytes(16)).has_value());
  EXPECT_FALSE(DhKeyPair::FromPrivate(DhGroup::kModp1024, Bytes(129, std::byte{1})).has_value());
}

TEST(DhKeyPair, ShortPrivateGivesPaddedPublic) {
  // g^1 = 2 must come out left-padded to the full modulus length.
  Result<DhKeyPair> pair = DhKeyPair::FromPrivate(DhGroup::kModp768, HexToBytes("01"));
  ASSERT_TRUE(pair.has_value());
  Bytes expected(96);
  expected.back() = std::byte{2};
  EXPECT_EQ(pair->public_value(), expected);
}

}  // namespace
}  // namespace ipop::crypto
