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
  EXPECT_EQ(DhGroupBytes(static_cast<DhGroup>(99)), 0u);
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
}

TEST(Algorithms, IkeCipherBlockSizes) {
  EXPECT_EQ(IkeCipherBlockSize(IkeCipher::k3desCbc), 8u);
  EXPECT_EQ(IkeCipherBlockSize(IkeCipher::kAesCbc), 16u);
}

}  // namespace
}  // namespace ipop::crypto
