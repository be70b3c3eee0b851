// Finite-field Diffie-Hellman over the IKE MODP groups.
#ifndef IPOP_CRYPTO_DH_H_
#define IPOP_CRYPTO_DH_H_

#include <memory>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/algorithms.h"
#include "crypto/secret.h"

namespace ipop::crypto {

class DhKeyPair {
 public:
  static Result<DhKeyPair> Generate(DhGroup group);
  // Rebuilds a key pair from a known private value, for known-answer tests.
  static Result<DhKeyPair> FromPrivate(DhGroup group, ByteView private_value);

  DhKeyPair(DhKeyPair&&) noexcept;
  DhKeyPair& operator=(DhKeyPair&&) noexcept;
  ~DhKeyPair();

  DhGroup group() const;
  // g^x mod p, left-padded with zeros to the modulus length (the KE payload).
  const Bytes& public_value() const;
  // g^xy mod p, left-padded to the modulus length as RFC 2409 §5 hashes it.
  // Rejects a peer value outside 2..p-2 or of the wrong length.
  Result<SecretBytes> ComputeShared(ByteView peer_public) const;

 private:
  struct State;
  explicit DhKeyPair(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ipop::crypto

#endif  // IPOP_CRYPTO_DH_H_
