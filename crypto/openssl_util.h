// Helpers shared by the crypto/ sources that call OpenSSL. Not for use
// outside crypto/.
#ifndef IPOP_CRYPTO_OPENSSL_UTIL_H_
#define IPOP_CRYPTO_OPENSSL_UTIL_H_

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "crypto/algorithms.h"

namespace ipop::crypto::internal {

// The EVP digest for a hash algorithm. The returned object is static.
const EVP_MD* DigestFor(HashAlgorithm algorithm);

// The OpenSSL digest name ("SHA1", "SHA256", ...) for EVP_MAC parameters.
const char* DigestNameFor(HashAlgorithm algorithm);

// The fetched HMAC implementation, shared by every MAC context. Fetched once.
EVP_MAC* HmacMac();

// Creates an HMAC context keyed with `key`, or returns null on a library
// error.
EVP_MAC_CTX* NewHmacContext(HashAlgorithm algorithm, const unsigned char* key, size_t key_length);

// Takes the oldest error from OpenSSL's thread-local queue, clears the rest,
// and returns a printable description prefixed with `operation`.
std::string OpenSslError(const char* operation);

struct EvpCipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
struct EvpMacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct EvpPkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, EvpCipherCtxDeleter>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, EvpMacCtxDeleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxDeleter>;

}  // namespace ipop::crypto::internal

#endif  // IPOP_CRYPTO_OPENSSL_UTIL_H_
