// Diffie-Hellman over the IKE MODP groups (RFC 2409 §6, RFC 3526) and ECP
// groups (RFC 5903).
#ifndef IPOP_CRYPTO_DH_H_
#define IPOP_CRYPTO_DH_H_

#include <memory>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/algorithms.h"
#include "crypto/secret.h"

namespace ipop::crypto {

namespace internal {
class EcpKey;
}  // namespace internal

class DhKeyPair {
 public:
  static Result<DhKeyPair> Generate(DhGroup group);
  // Rebuilds a key pair from a known private value, for known-answer tests.
  static Result<DhKeyPair> FromPrivate(DhGroup group, ByteView private_value);

  DhKeyPair(DhKeyPair&&) noexcept;
  DhKeyPair& operator=(DhKeyPair&&) noexcept;
  ~DhKeyPair();

  DhGroup group() const;
  // The KE payload body. For MODP it is g^x mod p, left-padded with zeros to
  // the modulus length. For ECP it is the point's x || y (RFC 5903 §7).
  const Bytes& public_value() const;
  // Returns g^xy as RFC 2409 §5 hashes it: left-padded to the modulus length
  // for MODP, and the x coordinate alone for ECP (RFC 5903 §7). Rejects a
  // peer value of the wrong length, a MODP value outside 2..p-2, and an ECP
  // value that is not a point on the curve.
  Result<SecretBytes> ComputeShared(ByteView peer_public) const;

 private:
  struct State;
  explicit DhKeyPair(std::unique_ptr<State> state);
  static Result<DhKeyPair> FromEcpKey(DhGroup group, Result<internal::EcpKey> key);
  std::unique_ptr<State> state_;
};

}  // namespace ipop::crypto

#endif  // IPOP_CRYPTO_DH_H_
