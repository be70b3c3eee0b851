#include "esp/xfrm/xfrm_algorithms.h"

namespace ipop::esp::xfrm {
namespace {

// ICV lengths in bits: RFC 2404 §2.2 (HMAC-SHA1-96), RFC 4868 §2.3
// (HMAC-SHA-256-128, HMAC-SHA-384-192, HMAC-SHA-512-256), RFC 4106 §6 (the
// 16-octet ICV of AES-GCM-16).
constexpr uint32_t kSha1TruncationBits = 96;
constexpr uint32_t kSha256TruncationBits = 128;
constexpr uint32_t kSha384TruncationBits = 192;
constexpr uint32_t kSha512TruncationBits = 256;
// The 96-bit truncation of HMAC-SHA-256 that some peers written before
// RFC 4868 use.
constexpr uint32_t kSha256LegacyTruncationBits = 96;
constexpr uint32_t kGcm16IcvBits = 128;

}  // namespace

Result<KernelCipher> ToKernelCipher(crypto::EspCipher cipher) {
  switch (cipher) {
    case crypto::EspCipher::kNull:
      return KernelCipher{.name = "ecb(cipher_null)"};
    case crypto::EspCipher::k3desCbc:
      return KernelCipher{.name = "cbc(des3_ede)"};
    case crypto::EspCipher::kAesCbc:
      return KernelCipher{.name = "cbc(aes)"};
    case crypto::EspCipher::kAesGcm16:
      // RFC 4106 key material is the AES key followed by a 4-byte salt, and
      // the kernel's rfc4106 template expects exactly that layout.
      return KernelCipher{.name = "rfc4106(gcm(aes))", .aead = true, .icv_bits = kGcm16IcvBits};
  }
  return Fail(ErrorCode::kUnsupported, "ESP cipher " + std::to_string(static_cast<int>(cipher)) +
                                           " has no kernel algorithm name");
}

Result<KernelIntegrity> ToKernelIntegrity(crypto::EspIntegrity integrity) {
  switch (integrity) {
    case crypto::EspIntegrity::kHmacSha1_96:
      return KernelIntegrity{.name = "hmac(sha1)", .truncation_bits = kSha1TruncationBits};
    case crypto::EspIntegrity::kHmacSha256_128:
      return KernelIntegrity{.name = "hmac(sha256)", .truncation_bits = kSha256TruncationBits};
    case crypto::EspIntegrity::kHmacSha256_96:
      return KernelIntegrity{.name = "hmac(sha256)",
                             .truncation_bits = kSha256LegacyTruncationBits};
    case crypto::EspIntegrity::kHmacSha384_192:
      return KernelIntegrity{.name = "hmac(sha384)", .truncation_bits = kSha384TruncationBits};
    case crypto::EspIntegrity::kHmacSha512_256:
      return KernelIntegrity{.name = "hmac(sha512)", .truncation_bits = kSha512TruncationBits};
    case crypto::EspIntegrity::kNone:
      break;
  }
  return Fail(ErrorCode::kUnsupported,
              std::string("ESP integrity ") + crypto::EspIntegrityName(integrity) +
                  " has no kernel algorithm name");
}

const char* AlgorithmFamilyName(AlgorithmFamily family) {
  switch (family) {
    case AlgorithmFamily::k3desCbc:
      return "3des-cbc";
    case AlgorithmFamily::kAesCbc:
      return "aes-cbc";
    case AlgorithmFamily::kAesGcm:
      return "aes-gcm";
    case AlgorithmFamily::kHmacSha1:
      return "hmac-sha1";
    case AlgorithmFamily::kHmacSha256:
      return "hmac-sha256";
    case AlgorithmFamily::kHmacSha384:
      return "hmac-sha384";
    case AlgorithmFamily::kHmacSha512:
      return "hmac-sha512";
  }
  return "unknown";
}

}  // namespace ipop::esp::xfrm
