// Hashes, HMAC and the IKEv1 pseudo-random function. IKEv1 negotiates no
// separate PRF in practice, so prf(key, msg) is HMAC with the negotiated hash
// (RFC 2409 §4).
#ifndef IPOP_CRYPTO_HASH_H_
#define IPOP_CRYPTO_HASH_H_

#include <memory>

#include "base/bytes.h"
#include "crypto/algorithms.h"
#include "crypto/secret.h"

namespace ipop::crypto {

Bytes Hash(HashAlgorithm algorithm, ByteView data);

// Incremental HMAC. The result is secret because most IKE uses of the PRF
// produce keys; callers copy out public results (HASH_I) explicitly.
class Hmac {
 public:
  Hmac(HashAlgorithm algorithm, ByteView key);
  ~Hmac();
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;

  void Update(ByteView data);
  SecretBytes Final();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

SecretBytes HmacOnce(HashAlgorithm algorithm, ByteView key, ByteView data);

}  // namespace ipop::crypto

#endif  // IPOP_CRYPTO_HASH_H_
