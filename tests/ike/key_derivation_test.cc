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
    {
        // SHA2-384 with a 32-byte key: SKEYID_e is truncated, and KEYMAT
        // needs two blocks.
        HashAlgorithm::kSha384,
        32,
        "bc4eed0aace5079a20ccb27be3763dd47c5379c7e4dc0ea57469da57299ce1c5"
        "2f7072fcafd047be84374902ae8fbaf8",
        "22f893404967787a4b573ebbd481543adc1afdc08af2120c4982d04b4cc63fd2"
        "d195bcb208ca9ee21aaaa3cebc10004f",
        "7a524b0adcc31397ec6ee83468b64f9ae59c3e84ad88715f72b7034a62270a5d"
        "e37b17c3fb34327f6a7f036410f6f85f",
        "fbf6032df8ef718dcca7e36f0de5b212462b96f59075f58df59de6045bc3f37a"
        "ba83cd3397561b267001561736bb92a3",
        "fbf6032df8ef718dcca7e36f0de5b212462b96f59075f58df59de6045bc3f37a",
        "ca69e6bdd7aa17ca48a29eecc26391a18133fbaca68b0737aea909aebfe70a1a"
        "16fab78f1646825f5f316c28d4c3e0d5",
        "c5fbb26505bf867e64f8e71005148cab57b69f4c1b1aef83980cfdc7363620d3"
        "cd72fe0f0877496b0aac4511ed1e337b",
        "f61ba9fb78ca1fe8bbd0ff16784c789d96d0e0c79e64b7fd022a619cee467752"
        "c2f73f3b80885a7b1c11c0c870d37bf7",
        "cdddfa4c73f970c82f6677dc1fe9df719dd91565f84d1ab017d5764bdd9d5c04"
        "0b44aad859bf8913a6a6e945fe8f5f3b",
        "c895ae96e9858610a24db47fd17a7234e2211a68db0c2db0d76a875a0459703f"
        "7b1e9ebab27847cba562fca46ecf2496",
        "537fea81593ac68e1624ea9017c509963cdd4c10556daaea57bc82d851f4f906"
        "3c220db79139e9dd43d67d2bf82f31f03559d05b85f7547d0a26bf5c8d508eaa",
        "900c67795f4ff20685db032a0f8021a18c64dedaa0d56ba70a4820e4650765ac"
        "b59045fd4509dff6683e24d9",
    },
    {
        // SHA2-512 with a 32-byte key: SKEYID_e is truncated.
        HashAlgorithm::kSha512,
        32,
        "fff21b662bf782bbba9c1303ea0acbff94af3f64ceded15f6f98be5e237f3a5d"
        "289f0a0bb0103e24991bc9bc9119d8c53ec9626e0875652952aacd6204c86b07",
        "36762e7161a6e4b4b3be9da752b14a9d829e61cc204e7ea50beb72f5ac8ab861"
        "c7014426af61107e012f28adc3b96622debd5fea551cab75782d832142024055",
        "959dca534b51179055183e7aca4647392ee214d33d01780dd92e43a038b24fec"
        "95561fc23feffb9c903330abecc992ffaaafbffb8abff382c839e30eee6e3b46",
        "4da70a267381181d4f78e9cc20082adc31bf28498446266249c3100d8ec60062"
        "819db24450e27d8cf438f1339afac9e2f7fc21a1600746f2fc7dd294b00f42fd",
        "4da70a267381181d4f78e9cc20082adc31bf28498446266249c3100d8ec60062",
        "55b07a43f84c086a079d8490cbcfe1317980540c21bc3cee8d1d46b8268081f9"
        "d4382788d25beddd5f1d63e5a8f1893705a4c4319827cbbb1e81f24450384a2c",
        "50524198f40c151af76dec867cbfb8855a26b86dc98cff7f467604cbd78b7163"
        "eedf7674b9d3e5ed80a0202c404892262c4aface94ed90e1489a320135cc91d8",
        "7a9db649f0731872f004d6382dd732a8228965ff74b7e2524a7c4019d8169319"
        "206133489b28d5998870af0cb6f1089c95ddf84a28e267cdb2c17256cdb7da34",
        "e7ddcc96eb287b81d906ebf546598924c57b1f874c771b6d696ed95c62dea7dc"
        "c2c972c847af5ef4678ec5e387a9e00ee596c30ef8da500f7310abeec2b9932f",
        "93f194816674b218d63562b2e27f812843b4e5b2541fee2f91b521a5b9cf7948"
        "de97afa7aa93515a3d3db4e0265fc42e14243f4b480f70594d57d3c856a6b2d0",
        "bdefb3f816994453275bb631317693e1c670f668191ac060e99a538c32fc8ccf"
        "297f76f02906cfcb27536b9e9d77399f5828f5d1c7557aca6110d9f74e33ff0a",
        "37128cbf067fb51b951d51832dee3b2b1dac0df1e3aa78723132a9f6e3cfc9ef"
        "215e140f3ae987e15a87eddf",
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
