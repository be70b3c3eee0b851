// The kernel's crypto API names for the ESP algorithms that IKE negotiates,
// and how each one is handed to XFRM (which attribute, which ICV length).
#ifndef IPOP_ESP_XFRM_XFRM_ALGORITHMS_H_
#define IPOP_ESP_XFRM_XFRM_ALGORITHMS_H_

#include <cstdint>
#include <string_view>

#include "base/error.h"
#include "crypto/algorithms.h"

namespace ipop::esp::xfrm {

// The kernel form of a cipher: XFRMA_ALG_CRYPT for a plain cipher,
// XFRMA_ALG_AEAD (with its ICV length) for a combined mode.
struct KernelCipher {
  std::string_view name;  // e.g. "cbc(aes)"
  bool aead = false;
  uint32_t icv_bits = 0;  // AEAD only
};

// An integrity algorithm as XFRMA_ALG_AUTH_TRUNC names it, with the
// truncated ICV length that ESP carries.
struct KernelIntegrity {
  std::string_view name;  // e.g. "hmac(sha256)"
  uint32_t truncation_bits = 0;
};

// Fails with kUnsupported for a cipher that has no kernel name here.
Result<KernelCipher> ToKernelCipher(crypto::EspCipher cipher);

// Fails with kUnsupported for kNone, which needs no attribute and so has no
// name (callers check for it first).
Result<KernelIntegrity> ToKernelIntegrity(crypto::EspIntegrity integrity);

// The algorithm family that the start-up probe tests: one entry per kernel
// transform that an SA can need.
enum class AlgorithmFamily {
  k3desCbc,
  kAesCbc,
  kAesGcm,
  kHmacSha1,
  kHmacSha256,
  kHmacSha384,
  kHmacSha512,
};
inline constexpr AlgorithmFamily kAllAlgorithmFamilies[] = {
    AlgorithmFamily::k3desCbc,   AlgorithmFamily::kAesCbc,     AlgorithmFamily::kAesGcm,
    AlgorithmFamily::kHmacSha1,  AlgorithmFamily::kHmacSha256, AlgorithmFamily::kHmacSha384,
    AlgorithmFamily::kHmacSha512};

// "3des-cbc", "aes-cbc", "aes-gcm", "hmac-sha1", "hmac-sha256",
// "hmac-sha384", "hmac-sha512".
const char* AlgorithmFamilyName(AlgorithmFamily family);

}  // namespace ipop::esp::xfrm

#endif  // IPOP_ESP_XFRM_XFRM_ALGORITHMS_H_
