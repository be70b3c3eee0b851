#include "crypto/algorithms.h"

namespace ipop::crypto {

namespace {

// Block sizes in bytes: DES and 3DES use 64-bit blocks, AES 128-bit blocks.
constexpr size_t kDesBlockSize = 8;
constexpr size_t kAesBlockSize = 16;

// 3DES-CBC keys are three 8-byte DES keys (RFC 2451 §2.2).
constexpr size_t k3desKeyLength = 24;
// AES-GCM keying material carries a 4-byte salt after the key (RFC 4106 §8.1).
constexpr size_t kGcmSaltLength = 4;

// Field element lengths of the NIST curves P-256 and P-384 (RFC 5903 §3).
constexpr size_t kP256CoordinateLength = 32;
constexpr size_t kP384CoordinateLength = 48;

}  // namespace

size_t HashLength(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kSha1:
      return 20;
    case HashAlgorithm::kSha256:
      return 32;
    case HashAlgorithm::kSha384:
      return 48;
    case HashAlgorithm::kSha512:
      return 64;
  }
  return 0;
}

const char* HashName(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kSha1:
      return "SHA1";
    case HashAlgorithm::kSha256:
      return "SHA256";
    case HashAlgorithm::kSha384:
      return "SHA384";
    case HashAlgorithm::kSha512:
      return "SHA512";
  }
  return "unknown";
}

size_t IkeCipherBlockSize(IkeCipher cipher) {
  switch (cipher) {
    case IkeCipher::k3desCbc:
      return kDesBlockSize;
    case IkeCipher::kAesCbc:
      return kAesBlockSize;
  }
  return 0;
}

const char* IkeCipherName(IkeCipher cipher) {
  switch (cipher) {
    case IkeCipher::k3desCbc:
      return "3DES-CBC";
    case IkeCipher::kAesCbc:
      return "AES-CBC";
  }
  return "unknown";
}

size_t DhGroupBytes(DhGroup group) {
  switch (group) {
    case DhGroup::kModp768:
      return 96;
    case DhGroup::kModp1024:
      return 128;
    case DhGroup::kModp1536:
      return 192;
    case DhGroup::kModp2048:
      return 256;
    case DhGroup::kModp3072:
      return 384;
    case DhGroup::kModp4096:
      return 512;
    case DhGroup::kModp6144:
      return 768;
    case DhGroup::kModp8192:
      return 1024;
    case DhGroup::kEcp256:
      return 2 * kP256CoordinateLength;
    case DhGroup::kEcp384:
      return 2 * kP384CoordinateLength;
  }
  return 0;
}

size_t DhSharedSecretBytes(DhGroup group) {
  switch (group) {
    case DhGroup::kEcp256:
      return kP256CoordinateLength;
    case DhGroup::kEcp384:
      return kP384CoordinateLength;
    default:
      return DhGroupBytes(group);
  }
}

bool IsEllipticCurveGroup(DhGroup group) {
  return group == DhGroup::kEcp256 || group == DhGroup::kEcp384;
}

const char* DhGroupName(DhGroup group) {
  switch (group) {
    case DhGroup::kModp768:
      return "MODP768";
    case DhGroup::kModp1024:
      return "MODP1024";
    case DhGroup::kModp1536:
      return "MODP1536";
    case DhGroup::kModp2048:
      return "MODP2048";
    case DhGroup::kModp3072:
      return "MODP3072";
    case DhGroup::kModp4096:
      return "MODP4096";
    case DhGroup::kModp6144:
      return "MODP6144";
    case DhGroup::kModp8192:
      return "MODP8192";
    case DhGroup::kEcp256:
      return "ECP256";
    case DhGroup::kEcp384:
      return "ECP384";
  }
  return "unknown";
}

size_t EspCipherKeyLength(EspCipher cipher, size_t aes_key_bits) {
  switch (cipher) {
    case EspCipher::kNull:
      return 0;
    case EspCipher::k3desCbc:
      return k3desKeyLength;
    case EspCipher::kAesCbc:
      return aes_key_bits / 8;
    case EspCipher::kAesGcm16:
      return aes_key_bits / 8 + kGcmSaltLength;
  }
  return 0;
}

size_t EspIntegrityKeyLength(EspIntegrity integrity) {
  switch (integrity) {
    case EspIntegrity::kNone:
      return 0;
    case EspIntegrity::kHmacSha1_96:
      return 20;  // RFC 2404 §3
    case EspIntegrity::kHmacSha256_128:
    case EspIntegrity::kHmacSha256_96:
      return 32;  // RFC 4868 §2.1
    case EspIntegrity::kHmacSha384_192:
      return 48;  // RFC 4868 §2.1
    case EspIntegrity::kHmacSha512_256:
      return 64;  // RFC 4868 §2.1
  }
  return 0;
}

size_t EspIntegrityIcvLength(EspIntegrity integrity) {
  switch (integrity) {
    case EspIntegrity::kNone:
      return 0;
    case EspIntegrity::kHmacSha1_96:
    case EspIntegrity::kHmacSha256_96:
      return 12;
    case EspIntegrity::kHmacSha256_128:
      return 16;  // RFC 4868 §2.1
    case EspIntegrity::kHmacSha384_192:
      return 24;  // RFC 4868 §2.1
    case EspIntegrity::kHmacSha512_256:
      return 32;  // RFC 4868 §2.1
  }
  return 0;
}

const char* EspCipherName(EspCipher cipher) {
  switch (cipher) {
    case EspCipher::kNull:
      return "NULL";
    case EspCipher::k3desCbc:
      return "3DES-CBC";
    case EspCipher::kAesCbc:
      return "AES-CBC";
    case EspCipher::kAesGcm16:
      return "AES-GCM-16";
  }
  return "unknown";
}

const char* EspIntegrityName(EspIntegrity integrity) {
  switch (integrity) {
    case EspIntegrity::kNone:
      return "none";
    case EspIntegrity::kHmacSha1_96:
      return "HMAC-SHA1-96";
    case EspIntegrity::kHmacSha256_128:
      return "HMAC-SHA2-256-128";
    case EspIntegrity::kHmacSha256_96:
      return "HMAC-SHA2-256-96";
    case EspIntegrity::kHmacSha384_192:
      return "HMAC-SHA2-384-192";
    case EspIntegrity::kHmacSha512_256:
      return "HMAC-SHA2-512-256";
  }
  return "unknown";
}

}  // namespace ipop::crypto
