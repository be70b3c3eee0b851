// Elliptic-curve Diffie-Hellman over the NIST prime curves that IKE calls
// ECP groups (RFC 5903). Internal to crypto/: DhKeyPair is the public API.
//
// A public value is x || y, each coordinate left-padded to the field length,
// without the 0x04 prefix of the SEC 1 encoding (RFC 5903 §7). The shared
// secret is the x coordinate of the product alone (RFC 5903 §7 and §9).
#ifndef IPOP_CRYPTO_ECP_KEY_H_
#define IPOP_CRYPTO_ECP_KEY_H_

#include <openssl/bn.h>
#include <openssl/ec.h>

#include <memory>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/algorithms.h"
#include "crypto/secret.h"

namespace ipop::crypto::internal {

struct EcGroupDeleter {
  void operator()(EC_GROUP* curve) const { EC_GROUP_free(curve); }
};
struct ClearingBnDeleter {
  // BN_clear_free wipes the value, which matters for private scalars.
  void operator()(BIGNUM* bn) const { BN_clear_free(bn); }
};
using EcGroupPtr = std::unique_ptr<EC_GROUP, EcGroupDeleter>;
using SecretBnPtr = std::unique_ptr<BIGNUM, ClearingBnDeleter>;

class EcpKey {
 public:
  // Draws the private scalar uniformly from 1..n-1, n being the curve order.
  static Result<EcpKey> Generate(DhGroup group);
  // Rebuilds a key from a known private scalar, for known-answer tests.
  static Result<EcpKey> FromPrivate(DhGroup group, ByteView private_value);

  const Bytes& public_value() const { return public_value_; }

  // Rejects a peer value of the wrong length, with a coordinate not below
  // the field prime, or that is not a point on the curve. Both curves have
  // cofactor 1, so every point on the curve other than the point at
  // infinity is in the prime-order group and no further check is needed.
  Result<SecretBytes> ComputeShared(ByteView peer_public) const;

 private:
  EcpKey(DhGroup group, EcGroupPtr curve, SecretBnPtr private_value);
  Result<void> ComputePublicValue();

  DhGroup group_;
  EcGroupPtr curve_;
  SecretBnPtr private_value_;
  Bytes public_value_;
};

}  // namespace ipop::crypto::internal

#endif  // IPOP_CRYPTO_ECP_KEY_H_
