#include "ike/key_derivation.h"

#include <gtest/gtest.h>

#include <string>

namespace ipop::ike {
namespace {

using crypto::HashAlgorithm;
using crypto::SecretBytes;

// Inputs shared with tests/ike/key_derivation_vectors.py, which computes the
// expected values below with Python's hmac and hashlib from RFC 2409.
Bytes Range(int first, int end) {
  Bytes out;
  for (int value = first; value < end; ++value) {
    out.push_back(std::byte(value));
  }
  return out;
}

const Bytes kNonceI = Range(0x10, 0x30);  // 32 bytes
const Bytes kNonceR = Range(0xa0, 0xb8);  // 24 bytes
const Bytes kPublicI(128, std::byte{0x11});
const Bytes kPublicR(128, std::byte{0x22});
const Bytes kCookieI = HexToBytes("0102030405060708");
const Bytes kCookieR = HexToBytes("f1f2f3f4f5f6f7f8");
const Bytes kSaBody = HexToBytes("000000010000000100000028");
const Bytes kIdIBody = HexToBytes("01000000c0a80164");
const Bytes kIdRBody = HexToBytes("01000000c0a80165");
const uint32_t kMessageId = 0x9dd19883;
const Bytes kRest = HexToBytes("0a000010aabbccddeeff00112233445566");
constexpr uint32_t kSpi = 0x12345678;

SecretBytes SharedValue() { return SecretBytes::CopyOf(Bytes(128, std::byte{0x5c})); }

std::string HexOf(const SecretBytes& value) { return ToHex(value.view()); }

struct Expected {
  HashAlgorithm prf;
  size_t key_length;
  const char* skeyid;
  const char* skeyid_d;
  const char* skeyid_a;
  const char* skeyid_e;
  const char* encryption_key;
  const char* hash_i;
  const char* hash_r;
  const char* qm_hash1;
  const char* qm_hash2;
  const char* qm_hash3;
  const char* keymat_no_pfs;  // 64 bytes
  const char* keymat_pfs;     // 44 bytes
};

const Expected kExpected[] = {
    {
        // SHA1 with a 32-byte key: SKEYID_e is expanded as K1 | K2.
        HashAlgorithm::kSha1,
        32,
        "030dbed5df0869c0f0274f99d7887d21e990e383",
        "138a910037d03d55dc43999b5c819ba3c8e1682b",
        "3e7d1347f1e7f5330bd52d6e3fe36f2af4b328de",
        "c60b2b864d6b4c9dec40c3610d9a50047118e5a7",
        "d42d763acd8929e63f8ae9f4caac0555352a84f82129ca6b26fb56614e502a33",
        "afe50221612f909c3c0acb1193a0653d5f840bad",
        "fee02fcfb9b0cda36ae1010d4dec398e33e8c219",
        "10b75fc5364ffc757450af4b126ca4adca6efd94",
        "0f2821532cbb886ef6f2b1d371bf2e17d8c5e714",
        "c74f4e7bbb2fb8fd19d3f66f58c239e737f3f6b7",
        "c7abe48fe624a0cd6498e87baba769d1d7298fa9708b4d32dddefdc61e295975"
        "b83a35202d352d9bfbf61309c74a103ca1a233bd07d59cc5954580869274c866",
        "bc1c71cd41b832b97c44059c535ca91e424cc776814dac7c15901451d243ad5d"
        "ba892f7c7209c29810ff479c",
    },
    {
        // SHA2-256 with a 16-byte key: SKEYID_e is truncated.
        HashAlgorithm::kSha256,
        16,
        "9ac830ceda744d27037e6e659895070429d841cf080a6cd19d43ae9d64d8630b",
        "a92b2a3b6f3d0738cd8a4aeab14f96268435f9d587f59f8bcbf50fc8a3a241ba",
        "236d18ed5ca7bf30207718a4b10c160cdd612c5d01e318e612ab4f6e3c2a31f6",
        "90eacc1319f584fc45b78e54ead8c16ff5354901be159518839044dfee21daec",
        "90eacc1319f584fc45b78e54ead8c16f",
        "68086123f4c765ca0c448a890c5a0f439dab3c5e5fd510f85831d163847924b5",
        "1066d83e34ddf473bd771ee7e0b13e7bffdf3b16d3ae246247de37e6eac26cb2",
        "23ae35a020e846c0d0c3a9da48da900918fbe4a0e831666e4cf5c06768c0cbe2",
        "c54b9ccafb58629d67361cf6d0e7d6545d51a66c768bba62e8d04fcd720ac9d5",
        "2c0c1c470bebb25722ae29e9e56770512d19da0ce50c2fa15d25c85913c6e779",
        "94adcd663bcfa027964035445244799263b1ae9dcae9d761c9e32d310b51a9c8"
        "7bc1ed2d936210beaf33088c9f1f34dffc9376c24cad424edc1e0f8b688836ff",
        "b3c5b0a21cdadabc968e17176923d8837a18f95fdee51fa794336790ecaaa939"
        "02d57df7219271dd7037798d",
    },
};

TEST(KeyDerivation, Phase1KeysMatchPythonValues) {
  for (const Expected& expected : kExpected) {
    SCOPED_TRACE(crypto::HashName(expected.prf));
    SecretBytes skeyid = ComputeSkeyidForSignatures(expected.prf, kNonceI, kNonceR, SharedValue());
    EXPECT_EQ(HexOf(skeyid), expected.skeyid);

    Phase1Keys keys = DerivePhase1Keys(expected.prf, std::move(skeyid), SharedValue(), kCookieI,
                                       kCookieR, expected.key_length);
    EXPECT_EQ(HexOf(keys.skeyid), expected.skeyid);
    EXPECT_EQ(HexOf(keys.skeyid_d), expected.skeyid_d);
    EXPECT_EQ(HexOf(keys.skeyid_a), expected.skeyid_a);
    EXPECT_EQ(HexOf(keys.skeyid_e), expected.skeyid_e);
    EXPECT_EQ(HexOf(keys.encryption_key), expected.encryption_key);
  }
}

TEST(KeyDerivation, AuthenticationHashesMatchPythonValues) {
  for (const Expected& expected : kExpected) {
    SCOPED_TRACE(crypto::HashName(expected.prf));
    const SecretBytes skeyid = SecretBytes::CopyOf(HexToBytes(expected.skeyid));
    const SecretBytes skeyid_a = SecretBytes::CopyOf(HexToBytes(expected.skeyid_a));
    EXPECT_EQ(ToHex(ComputeHashI(expected.prf, skeyid, kPublicI, kPublicR, kCookieI, kCookieR,
                                 kSaBody, kIdIBody)),
              expected.hash_i);
    EXPECT_EQ(ToHex(ComputeHashR(expected.prf, skeyid, kPublicI, kPublicR, kCookieI, kCookieR,
                                 kSaBody, kIdRBody)),
              expected.hash_r);
    EXPECT_EQ(ToHex(ComputeQuickModeHash1(expected.prf, skeyid_a, kMessageId, kRest)),
              expected.qm_hash1);
    EXPECT_EQ(ToHex(ComputeQuickModeHash2(expected.prf, skeyid_a, kMessageId, kNonceI, kRest)),
              expected.qm_hash2);
    EXPECT_EQ(ToHex(ComputeQuickModeHash3(expected.prf, skeyid_a, kMessageId, kNonceI, kNonceR)),
              expected.qm_hash3);
    // The Informational HASH(1) has the same shape as Quick Mode HASH(1).
    EXPECT_EQ(ToHex(ComputeInformationalHash(expected.prf, skeyid_a, kMessageId, kRest)),
              expected.qm_hash1);
  }
}

TEST(KeyDerivation, KeymatMatchesPythonValues) {
  for (const Expected& expected : kExpected) {
    SCOPED_TRACE(crypto::HashName(expected.prf));
    const SecretBytes skeyid_d = SecretBytes::CopyOf(HexToBytes(expected.skeyid_d));
    const SecretBytes no_pfs =
        ComputeKeymat(expected.prf, skeyid_d, {}, kKeymatProtocolEsp, kSpi, kNonceI, kNonceR, 64);
    EXPECT_EQ(HexOf(no_pfs), expected.keymat_no_pfs);

    const SecretBytes shared = SharedValue();
    const SecretBytes with_pfs = ComputeKeymat(expected.prf, skeyid_d, shared.view(),
                                               kKeymatProtocolEsp, kSpi, kNonceI, kNonceR, 44);
    EXPECT_EQ(HexOf(with_pfs), expected.keymat_pfs);
  }
}

TEST(KeyDerivation, KeymatPrefixIsStable) {
  // A shorter request returns a prefix of a longer one, so the cipher key
  // does not depend on how much integrity key is requested.
  const SecretBytes skeyid_d = SecretBytes::CopyOf(HexToBytes(kExpected[0].skeyid_d));
  const SecretBytes short_keymat = ComputeKeymat(HashAlgorithm::kSha1, skeyid_d, {},
                                                 kKeymatProtocolEsp, kSpi, kNonceI, kNonceR, 7);
  EXPECT_EQ(HexOf(short_keymat), std::string(kExpected[0].keymat_no_pfs).substr(0, 14));
  EXPECT_TRUE(ComputeKeymat(HashAlgorithm::kSha1, skeyid_d, {}, kKeymatProtocolEsp, kSpi, kNonceI,
                            kNonceR, 0)
                  .empty());
}

TEST(KeyDerivation, PreSharedKeySkeyid) {
  EXPECT_EQ(HexOf(ComputeSkeyidForPreSharedKey(HashAlgorithm::kSha256, AsBytes("ipop test psk"),
                                               kNonceI, kNonceR)),
            "2f6830c6ad50427770052e2a996514e0014bbafeefae7f20d91313a56d34e981");
}

TEST(KeyDerivation, IvsMatchPythonValues) {
  EXPECT_EQ(ToHex(ComputePhase1Iv(HashAlgorithm::kSha256, kPublicI, kPublicR, 16)),
            "8759177b6e8fc901106d7264cbbe88d5");
  EXPECT_EQ(ToHex(ComputePhase2Iv(HashAlgorithm::kSha256,
                                  HexToBytes("00112233445566778899aabbccddeeff"), kMessageId, 16)),
            "f5966d9b0504c58c4b1f8eb8bc653a37");
}

TEST(KeyDerivation, HashRSwapsInitiatorAndResponder) {
  // Swapping the arguments of HASH_I by hand yields HASH_R, which shows the
  // function swaps the public values and cookies itself.
  const SecretBytes skeyid = SecretBytes::CopyOf(HexToBytes(kExpected[0].skeyid));
  EXPECT_EQ(ComputeHashR(HashAlgorithm::kSha1, skeyid, kPublicI, kPublicR, kCookieI, kCookieR,
                         kSaBody, kIdRBody),
            ComputeHashI(HashAlgorithm::kSha1, skeyid, kPublicR, kPublicI, kCookieR, kCookieI,
                         kSaBody, kIdRBody));
}

}  // namespace
}  // namespace ipop::ike
