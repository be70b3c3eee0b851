// Algorithm identifiers used across crypto/, ike/ and esp/. The numeric
// values are our own; ike/ maps them to and from IANA transform numbers.
#ifndef IPOP_CRYPTO_ALGORITHMS_H_
#define IPOP_CRYPTO_ALGORITHMS_H_

#include <cstddef>
#include <cstdint>

namespace ipop::crypto {

enum class HashAlgorithm { kSha1, kSha256, kSha384, kSha512 };

// Cipher for IKE message encryption (CBC without padding; IKE pads itself).
enum class IkeCipher { k3desCbc, kAesCbc };

// Diffie-Hellman groups by their IKE group number: MODP groups (RFC 2409 §6,
// RFC 3526) and the NIST prime curves of RFC 5903.
enum class DhGroup : uint16_t {
  kModp768 = 1,
  kModp1024 = 2,
  kModp1536 = 5,
  kModp2048 = 14,
  kModp3072 = 15,
  kModp4096 = 16,
  kModp6144 = 17,
  kModp8192 = 18,
  kEcp256 = 19,
  kEcp384 = 20,
};

enum class EspCipher { kNull, k3desCbc, kAesCbc, kAesGcm16 };
enum class EspIntegrity {
  kNone,
  kHmacSha1_96,
  kHmacSha256_128,
  kHmacSha256_96,
  kHmacSha384_192,
  kHmacSha512_256,
};

size_t HashLength(HashAlgorithm algorithm);
const char* HashName(HashAlgorithm algorithm);
size_t IkeCipherBlockSize(IkeCipher cipher);
const char* IkeCipherName(IkeCipher cipher);
// Returns the length of the group's public value as the KE payload carries
// it: the modulus length for MODP, x || y for ECP (RFC 5903 §7). Returns 0
// for an unknown group.
size_t DhGroupBytes(DhGroup group);
// Returns the length of the shared secret g^xy: the modulus length for MODP,
// the x coordinate alone for ECP (RFC 5903 §7). Returns 0 for an unknown
// group.
size_t DhSharedSecretBytes(DhGroup group);
bool IsEllipticCurveGroup(DhGroup group);
const char* DhGroupName(DhGroup group);

// Key lengths in bytes for ESP. For AES-GCM the cipher key includes the
// 4-byte salt (RFC 4106 §8.1): 20 bytes for AES-128, 36 for AES-256.
size_t EspCipherKeyLength(EspCipher cipher, size_t aes_key_bits);
size_t EspIntegrityKeyLength(EspIntegrity integrity);
size_t EspIntegrityIcvLength(EspIntegrity integrity);
const char* EspCipherName(EspCipher cipher);
const char* EspIntegrityName(EspIntegrity integrity);

}  // namespace ipop::crypto

#endif  // IPOP_CRYPTO_ALGORITHMS_H_
