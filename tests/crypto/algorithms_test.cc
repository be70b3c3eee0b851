#include "crypto/algorithms.h"

#include <gtest/gtest.h>

namespace ipop::crypto {
namespace {

TEST(Algorithms, HashLengths) {
  EXPECT_EQ(HashLength(HashAlgorithm::kSha1), 20u);
  EXPECT_EQ(HashLength(HashAlgorithm::kSha256), 32u);
  EXPECT_EQ(HashLength(HashAlgorithm::kSha384), 48u);
  EXPECT_EQ(HashLength(HashAlgorithm::kSha512), 64u);
}

TEST(Algorithms, DhGroupSizes) {
  EXPECT_EQ(DhGroupBytes(DhGroup::kModp768), 96u);
  EXPECT_EQ(DhGroupBytes(DhGroup::kModp1024), 128u);
  EXPECT_EQ(DhGroupBytes(DhGroup::kModp1536), 192u);
  EXPECT_EQ(DhGroupBytes(DhGroup::kModp2048), 256u);
  // RFC 3526 §4-§7: 3072, 4096, 6144 and 8192-bit moduli.
  EXPECT_EQ(DhGroupBytes(DhGroup::kModp3072), 384u);
  EXPECT_EQ(DhGroupBytes(DhGroup::kModp4096), 512u);
  EXPECT_EQ(DhGroupBytes(DhGroup::kModp6144), 768u);
  EXPECT_EQ(DhGroupBytes(DhGroup::kModp8192), 1024u);
  // RFC 5903 §7: the KE payload carries x || y, the shared secret is x.
  EXPECT_EQ(DhGroupBytes(DhGroup::kEcp256), 64u);
  EXPECT_EQ(DhGroupBytes(DhGroup::kEcp384), 96u);
  EXPECT_EQ(DhSharedSecretBytes(DhGroup::kEcp256), 32u);
  EXPECT_EQ(DhSharedSecretBytes(DhGroup::kEcp384), 48u);
  EXPECT_EQ(DhSharedSecretBytes(DhGroup::kModp4096), 512u);
  EXPECT_EQ(DhGroupBytes(static_cast<DhGroup>(99)), 0u);
  EXPECT_EQ(DhSharedSecretBytes(static_cast<DhGroup>(99)), 0u);
}

TEST(Algorithms, GroupKinds) {
  EXPECT_TRUE(IsEllipticCurveGroup(DhGroup::kEcp256));
  EXPECT_TRUE(IsEllipticCurveGroup(DhGroup::kEcp384));
  EXPECT_FALSE(IsEllipticCurveGroup(DhGroup::kModp2048));
  EXPECT_FALSE(IsEllipticCurveGroup(DhGroup::kModp8192));
}

TEST(Algorithms, EspKeyLengths) {
  EXPECT_EQ(EspCipherKeyLength(EspCipher::k3desCbc, 0), 24u);
  EXPECT_EQ(EspCipherKeyLength(EspCipher::kAesCbc, 128), 16u);
  EXPECT_EQ(EspCipherKeyLength(EspCipher::kAesCbc, 256), 32u);
  // RFC 4106 §8.1: AES key plus a 4-byte salt.
  EXPECT_EQ(EspCipherKeyLength(EspCipher::kAesGcm16, 128), 20u);
  EXPECT_EQ(EspCipherKeyLength(EspCipher::kAesGcm16, 256), 36u);
  EXPECT_EQ(EspIntegrityKeyLength(EspIntegrity::kHmacSha1_96), 20u);
  EXPECT_EQ(EspIntegrityKeyLength(EspIntegrity::kHmacSha256_128), 32u);
  EXPECT_EQ(EspIntegrityIcvLength(EspIntegrity::kHmacSha1_96), 12u);
  EXPECT_EQ(EspIntegrityIcvLength(EspIntegrity::kHmacSha256_128), 16u);
  EXPECT_EQ(EspIntegrityIcvLength(EspIntegrity::kHmacSha256_96), 12u);
  // RFC 4868 §2.1: keys as long as the hash output, ICVs half of it.
  EXPECT_EQ(EspIntegrityKeyLength(EspIntegrity::kHmacSha384_192), 48u);
  EXPECT_EQ(EspIntegrityKeyLength(EspIntegrity::kHmacSha512_256), 64u);
  EXPECT_EQ(EspIntegrityIcvLength(EspIntegrity::kHmacSha384_192), 24u);
  EXPECT_EQ(EspIntegrityIcvLength(EspIntegrity::kHmacSha512_256), 32u);
}

TEST(Algorithms, IkeCipherBlockSizes) {
  EXPECT_EQ(IkeCipherBlockSize(IkeCipher::k3desCbc), 8u);
  EXPECT_EQ(IkeCipherBlockSize(IkeCipher::kAesCbc), 16u);
}

}  // namespace
}  // namespace ipop::crypto
