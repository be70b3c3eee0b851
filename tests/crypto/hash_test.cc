#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <string>

#include "base/bytes.h"

namespace ipop::crypto {
namespace {

std::string HexOf(const SecretBytes& value) { return ToHex(value.view()); }

Bytes Repeat(uint8_t value, size_t count) { return Bytes(count, std::byte{value}); }

// SHA "abc" digests from the FIPS 180-2 examples (Appendix A-D), also
// reproduced with Python's hashlib.
TEST(Hash, FipsAbcVectors) {
  EXPECT_EQ(ToHex(Hash(HashAlgorithm::kSha1, AsBytes("abc"))),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(ToHex(Hash(HashAlgorithm::kSha256, AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(Hash(HashAlgorithm::kSha384, AsBytes("abc"))),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(ToHex(Hash(HashAlgorithm::kSha512, AsBytes("abc"))),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

// RFC 2202 §3, test cases 1, 2, 3, 4 and 6.
TEST(Hmac, Rfc2202Sha1Vectors) {
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha1, Repeat(0x0b, 20), AsBytes("Hi There"))),
            "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha1, AsBytes("Jefe"),
                           AsBytes("what do ya want for nothing?"))),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha1, Repeat(0xaa, 20), Repeat(0xdd, 50))),
            "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha1,
                           HexToBytes("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                           Repeat(0xcd, 50))),
            "4c9007f4026250c6bc8414f9bf50c86c2d7235da");
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha1, Repeat(0xaa, 80),
                           AsBytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

// RFC 4231 §4.2, §4.3, §4.5 and §4.7 (test cases 1, 2, 4 and 6).
TEST(Hmac, Rfc4231Sha256Vectors) {
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha256, Repeat(0x0b, 20), AsBytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha256, AsBytes("Jefe"),
                           AsBytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha256,
                           HexToBytes("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                           Repeat(0xcd, 50))),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha256, Repeat(0xaa, 131),
                           AsBytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// RFC 4231 test cases 1, 2, 4 and 6 (§4.2, §4.3, §4.5, §4.7) for SHA-384 and
// SHA-512. The outputs were also reproduced with Python's hmac module.
TEST(Hmac, Rfc4231Sha384Sha512Vectors) {
  const Bytes key_0b = Repeat(0x0b, 20);
  const Bytes key_counting = HexToBytes("0102030405060708090a0b0c0d0e0f10111213141516171819");
  const Bytes key_aa = Repeat(0xaa, 131);
  const Bytes data_cd = Repeat(0xcd, 50);
  const std::string large_key_text = "Test Using Larger Than Block-Size Key - Hash Key First";

  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha384, key_0b, AsBytes("Hi There"))),
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
            "faea9ea9076ede7f4af152e8b2fa9cb6");
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha384, AsBytes("Jefe"),
                           AsBytes("what do ya want for nothing?"))),
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
            "8e2240ca5e69e2c78b3239ecfab21649");
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha384, key_counting, data_cd)),
            "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
            "6801dd23c4a7d679ccf8a386c674cffb");
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha384, key_aa, AsBytes(large_key_text))),
            "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
            "0c2ef6ab4030fe8296248df163f44952");

  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha512, key_0b, AsBytes("Hi There"))),
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
            "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha512, AsBytes("Jefe"),
                           AsBytes("what do ya want for nothing?"))),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha512, key_counting, data_cd)),
            "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
            "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd");
  EXPECT_EQ(HexOf(HmacOnce(HashAlgorithm::kSha512, key_aa, AsBytes(large_key_text))),
            "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
            "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
}

TEST(Hmac, IncrementalMatchesOneShot) {
  Hmac hmac(HashAlgorithm::kSha256, AsBytes("Jefe"));
  hmac.Update(AsBytes("what do ya "));
  hmac.Update({});
  hmac.Update(AsBytes("want for nothing?"));
  EXPECT_EQ(HexOf(hmac.Final()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hmac, OutputLengthPerAlgorithm) {
  for (HashAlgorithm algorithm : {HashAlgorithm::kSha1, HashAlgorithm::kSha256,
                                  HashAlgorithm::kSha384, HashAlgorithm::kSha512}) {
    EXPECT_EQ(HmacOnce(algorithm, AsBytes("key"), AsBytes("data")).size(), HashLength(algorithm))
        << HashName(algorithm);
  }
}

}  // namespace
}  // namespace ipop::crypto
