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

// MODP groups by their IKE group number (RFC 2409 §6, RFC 3526).
enum class DhGroup : uint16_t { kModp768 = 1, kModp1024 = 2, kModp1536 = 5, kModp2048 = 14 };

enum class EspCipher { kNull, k3desCbc, kAesCbc, kAesGcm16 };
enum class EspIntegrity { kNone, kHmacSha1_96, kHmacSha256_128, kHmacSha256_96 };

size_t HashLength(HashAlgorithm algorithm);
const char* HashName(HashAlgorithm algorithm);
size_t IkeCipherBlockSize(IkeCipher cipher);
const char* IkeCipherName(IkeCipher cipher);
// Returns 0 for an unknown group.
size_t DhGroupBytes(DhGroup group);
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
