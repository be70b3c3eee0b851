#include "crypto/dh.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "crypto/hash.h"
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
  for (DhGroup group : {DhGroup::kModp768, DhGroup::kModp1024, DhGroup::kModp1536,
                        DhGroup::kModp2048, DhGroup::kModp3072, DhGroup::kModp4096,
                        DhGroup::kModp6144, DhGroup::kModp8192, DhGroup::kEcp256,
                        DhGroup::kEcp384}) {
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
    EXPECT_EQ(alice_shared->size(), DhSharedSecretBytes(group));
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

// The SHA-256 of g^x mod p for x = 0x0102...20 in each RFC 3526 group, from
// tests/crypto/modp_vectors.py, which rebuilds the primes from the RFC's
// formula with Python and mpmath. A wrong modulus changes the digest.
TEST(DhKeyPair, Rfc3526GroupsKnownAnswer) {
  const struct {
    DhGroup group;
    const char* public_sha256;
  } kCases[] = {
      {DhGroup::kModp2048, "0b9cb9036d2a594a7e3b43169bdf47ee9c7b64a2292203f1bb137b0b648d7e3c"},
      {DhGroup::kModp3072, "b74e630be90eb9d4b19affaa173864f62b7b5408127da1bbe6614ff3b3d96c4d"},
      {DhGroup::kModp4096, "0587822953fd21e5d74b2e8d6b068da2bf44c4793b7955aaa0d8ea4a5d3fceee"},
      {DhGroup::kModp6144, "b59a1fdd9ea5a2e0b9ba03805a744504315892715900c6b39cc32f9f36a04f8c"},
      {DhGroup::kModp8192, "5198b265547120332a823f75cb69fe8df34fff6cf8070f3d44b8ca64f1af5190"},
  };
  const Bytes private_value =
      HexToBytes("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
  for (const auto& test_case : kCases) {
    SCOPED_TRACE(DhGroupName(test_case.group));
    Result<DhKeyPair> pair = DhKeyPair::FromPrivate(test_case.group, private_value);
    ASSERT_TRUE(pair.has_value()) << pair.error().detail;
    EXPECT_EQ(pair->public_value().size(), DhGroupBytes(test_case.group));
    EXPECT_EQ(ToHex(Hash(HashAlgorithm::kSha256, pair->public_value())), test_case.public_sha256);
  }
}

TEST(DhKeyPair, LargeModpGroupsRejectOutOfRangeValues) {
  for (DhGroup group :
       {DhGroup::kModp3072, DhGroup::kModp4096, DhGroup::kModp6144, DhGroup::kModp8192}) {
    SCOPED_TRACE(DhGroupName(group));
    Result<DhKeyPair> pair = DhKeyPair::Generate(group);
    ASSERT_TRUE(pair.has_value());
    const size_t length = DhGroupBytes(group);
    // Built with push_back: GCC 12 at -O2 warns (-Warray-bounds) on back()
    // of a vector whose size it cannot prove non-zero.
    Bytes one(length - 1);
    one.push_back(std::byte{1});
    // Every RFC 3526 prime is below 2^n - 1, so n bits of ones is above p.
    const Bytes all_ones(length, std::byte{0xff});
    Bytes two(length - 1);
    two.push_back(std::byte{2});
    EXPECT_FALSE(pair->ComputeShared(Bytes(length)).has_value());
    EXPECT_FALSE(pair->ComputeShared(one).has_value());
    EXPECT_FALSE(pair->ComputeShared(all_ones).has_value());
    EXPECT_FALSE(pair->ComputeShared(Bytes(length - 1, std::byte{0x42})).has_value());
    EXPECT_TRUE(pair->ComputeShared(two).has_value());
  }
}

// RFC 5903 §8.1 (256-bit random ECP group) and §8.2 (384-bit): the
// initiator's and responder's private values i and r, their public values
// gi and gr as x || y, and the shared secret, which is the x coordinate of
// g^ir alone (RFC 5903 §9). The values were also checked with Python's
// `cryptography` package.
struct EcpVector {
  DhGroup group;
  const char* private_i;
  const char* public_i;
  const char* private_r;
  const char* public_r;
  const char* shared;
};

const EcpVector kEcpVectors[] = {
    {DhGroup::kEcp256, "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
     "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
     "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
     "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53",
     "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63"
     "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
     "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de"},
    {DhGroup::kEcp384,
     "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655"
     "e35b538041e649ee3faef896783ab194",
     "667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6"
     "de3ac808acb4bdb4c88732aee95f41aa"
     "9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38e"
     "eb9fcff3c2c947dae69b4c634573a81c",
     "41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942"
     "e0308312916b8ed2960e4bd55a7448fc",
     "e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d"
     "0d1ac43a0336def96fda41d0774a3571"
     "dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1ff"
     "f83fa40142209dff5eaad96db9e6386c",
     "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4"
     "d603135569b9e9d09cf5d4a270f59746"},
};

TEST(DhKeyPair, Rfc5903EcpVectors) {
  for (const EcpVector& vector : kEcpVectors) {
    SCOPED_TRACE(DhGroupName(vector.group));
    Result<DhKeyPair> initiator = DhKeyPair::FromPrivate(vector.group, HexToBytes(vector.private_i));
    Result<DhKeyPair> responder = DhKeyPair::FromPrivate(vector.group, HexToBytes(vector.private_r));
    ASSERT_TRUE(initiator.has_value()) << initiator.error().detail;
    ASSERT_TRUE(responder.has_value()) << responder.error().detail;
    EXPECT_EQ(ToHex(initiator->public_value()), vector.public_i);
    EXPECT_EQ(ToHex(responder->public_value()), vector.public_r);

    Result<SecretBytes> shared_i = initiator->ComputeShared(HexToBytes(vector.public_r));
    Result<SecretBytes> shared_r = responder->ComputeShared(HexToBytes(vector.public_i));
    ASSERT_TRUE(shared_i.has_value()) << shared_i.error().detail;
    ASSERT_TRUE(shared_r.has_value()) << shared_r.error().detail;
    EXPECT_EQ(ToHex(shared_i->view()), vector.shared);
    EXPECT_EQ(ToHex(shared_r->view()), vector.shared);
  }
}

TEST(DhKeyPair, EcpRejectsInvalidPeerPoints) {
  for (const EcpVector& vector : kEcpVectors) {
    SCOPED_TRACE(DhGroupName(vector.group));
    Result<DhKeyPair> pair = DhKeyPair::FromPrivate(vector.group, HexToBytes(vector.private_i));
    ASSERT_TRUE(pair.has_value());
    const Bytes valid = HexToBytes(vector.public_r);
    const size_t coordinate = valid.size() / 2;

    Bytes off_curve = valid;
    off_curve.back() ^= std::byte{1};
    Bytes zero_point(valid.size());
    // 0x04 || x || y is the SEC 1 encoding, which the KE payload does not use.
    Bytes sec1 = valid;
    sec1.insert(sec1.begin(), std::byte{0x04});
    Bytes x_too_large = valid;
    std::fill(x_too_large.begin(), x_too_large.begin() + coordinate, std::byte{0xff});
    const Bytes x_only(valid.begin(), valid.begin() + coordinate);

    const struct {
      const char* name;
      Bytes value;
    } kCases[] = {{"y with its last bit flipped", off_curve},
                  {"all zeros", zero_point},
                  {"SEC 1 prefix", sec1},
                  {"x above p", x_too_large},
                  {"x alone", x_only},
                  {"empty", Bytes()}};
    for (const auto& test_case : kCases) {
      Result<SecretBytes> shared = pair->ComputeShared(test_case.value);
      ASSERT_FALSE(shared.has_value()) << test_case.name;
      EXPECT_EQ(shared.error().code, ErrorCode::kMalformed) << test_case.name;
    }
    EXPECT_TRUE(pair->ComputeShared(valid).has_value());
  }
}

TEST(DhKeyPair, EcpFromPrivateRejectsOutOfRangeScalars) {
  // Zero, the P-256 order n, and a value longer than the field.
  const Bytes p256_order =
      HexToBytes("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  EXPECT_FALSE(DhKeyPair::FromPrivate(DhGroup::kEcp256, Bytes(32)).has_value());
  EXPECT_FALSE(DhKeyPair::FromPrivate(DhGroup::kEcp256, p256_order).has_value());
  EXPECT_FALSE(DhKeyPair::FromPrivate(DhGroup::kEcp256, Bytes(33, std::byte{1})).has_value());
  EXPECT_FALSE(DhKeyPair::FromPrivate(DhGroup::kEcp256, {}).has_value());

  Bytes order_minus_one = p256_order;
  order_minus_one.back() = std::byte{0x50};
  EXPECT_TRUE(DhKeyPair::FromPrivate(DhGroup::kEcp256, order_minus_one).has_value());
}

}  // namespace
}  // namespace ipop::crypto
