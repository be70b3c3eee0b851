#include "crypto/hash.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "crypto/openssl_util.h"

namespace ipop::crypto {

Bytes Hash(HashAlgorithm algorithm, ByteView data) {
  Bytes digest(HashLength(algorithm));
  unsigned int digest_length = 0;
  if (EVP_Digest(data.data(), data.size(), AsUChar(MutableByteView(digest)), &digest_length,
                 internal::DigestFor(algorithm), nullptr) != 1 ||
      digest_length != digest.size()) {
    // With a built-in digest, EVP_Digest fails only when memory runs out,
    // and the caller cannot continue without the hash.
    std::abort();
  }
  return digest;
}

struct Hmac::State {
  internal::MacCtxPtr ctx;
  size_t length = 0;
};

Hmac::Hmac(HashAlgorithm algorithm, ByteView key) : state_(std::make_unique<State>()) {
  state_->ctx.reset(internal::NewHmacContext(algorithm, AsUChar(key), key.size()));
  state_->length = HashLength(algorithm);
  if (state_->ctx == nullptr) {
    std::abort();
  }
}

Hmac::~Hmac() = default;

void Hmac::Update(ByteView data) {
  if (data.empty()) {
    return;
  }
  if (EVP_MAC_update(state_->ctx.get(), AsUChar(data), data.size()) != 1) {
    std::abort();
  }
}

SecretBytes Hmac::Final() {
  SecretBytes out(state_->length);
  size_t written = 0;
  if (EVP_MAC_final(state_->ctx.get(), AsUChar(out.mutable_view()), &written, out.size()) != 1 ||
      written != out.size()) {
    std::abort();
  }
  return out;
}

SecretBytes HmacOnce(HashAlgorithm algorithm, ByteView key, ByteView data) {
  Hmac hmac(algorithm, key);
  hmac.Update(data);
  return hmac.Final();
}

}  // namespace ipop::crypto
