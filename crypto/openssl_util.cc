#include "crypto/openssl_util.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>

#include <array>
#include <cstdlib>

namespace ipop::crypto::internal {

const EVP_MD* DigestFor(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kSha1:
      return EVP_sha1();
    case HashAlgorithm::kSha256:
      return EVP_sha256();
    case HashAlgorithm::kSha384:
      return EVP_sha384();
    case HashAlgorithm::kSha512:
      return EVP_sha512();
  }
  return nullptr;
}

const char* DigestNameFor(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kSha1:
      return "SHA1";
    case HashAlgorithm::kSha256:
      return "SHA2-256";
    case HashAlgorithm::kSha384:
      return "SHA2-384";
    case HashAlgorithm::kSha512:
      return "SHA2-512";
  }
  return "";
}

EVP_MAC* HmacMac() {
  // Fetching is costly, so one fetched object serves the whole process.
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) {
    // The default provider always has HMAC, so this is a broken installation.
    std::abort();
  }
  return mac;
}

EVP_MAC_CTX* NewHmacContext(HashAlgorithm algorithm, const unsigned char* key, size_t key_length) {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(HmacMac());
  if (ctx == nullptr) {
    return nullptr;
  }
  std::array<OSSL_PARAM, 2> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                       const_cast<char*>(DigestNameFor(algorithm)), 0),
      OSSL_PARAM_construct_end()};
  // HMAC accepts an empty key, but EVP_MAC_init needs a non-null pointer to
  // tell "empty key" apart from "reuse the previous key".
  static const unsigned char kEmptyKey[1] = {0};
  const unsigned char* key_or_empty = key != nullptr ? key : kEmptyKey;
  if (EVP_MAC_init(ctx, key_or_empty, key_length, params.data()) != 1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

std::string OpenSslError(const char* operation) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  std::string text = operation;
  if (code != 0) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    text += ": ";
    text += buffer.data();
  }
  return text;
}

}  // namespace ipop::crypto::internal
