#include "crypto/ecp_key.h"

#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include <string>

#include "crypto/openssl_util.h"

namespace ipop::crypto::internal {

namespace {

struct BnCtxDeleter {
  void operator()(BN_CTX* ctx) const { BN_CTX_free(ctx); }
};
struct PointDeleter {
  // The product point of ECDH is the shared secret, so it is wiped.
  void operator()(EC_POINT* point) const { EC_POINT_clear_free(point); }
};
using BnCtxPtr = std::unique_ptr<BN_CTX, BnCtxDeleter>;
using PointPtr = std::unique_ptr<EC_POINT, PointDeleter>;

// Returns the OpenSSL curve for an ECP group: group 19 is NIST P-256 and
// group 20 is NIST P-384 (RFC 5903 §3.1, §3.2).
int CurveNidFor(DhGroup group) {
  switch (group) {
    case DhGroup::kEcp256:
      return NID_X9_62_prime256v1;
    case DhGroup::kEcp384:
      return NID_secp384r1;
    default:
      return NID_undef;
  }
}

Result<EcGroupPtr> NewCurve(DhGroup group) {
  const int nid = CurveNidFor(group);
  if (nid == NID_undef) {
    return Fail(ErrorCode::kUnsupported,
                "DH group " + std::to_string(static_cast<int>(group)) + " is not an ECP group");
  }
  EcGroupPtr curve(EC_GROUP_new_by_curve_name(nid));
  if (curve == nullptr) {
    return Fail(ErrorCode::kSystem, OpenSslError("EC group setup failed"));
  }
  return curve;
}

size_t CoordinateLength(DhGroup group) { return DhSharedSecretBytes(group); }

}  // namespace

EcpKey::EcpKey(DhGroup group, EcGroupPtr curve, SecretBnPtr private_value)
    : group_(group), curve_(std::move(curve)), private_value_(std::move(private_value)) {}

Result<EcpKey> EcpKey::Generate(DhGroup group) {
  auto curve = NewCurve(group);
  if (!curve) {
    return std::unexpected(curve.error());
  }
  // Draws d from 0..n-2 and adds 1, so that d is in 1..n-1.
  SecretBnPtr range(BN_dup(EC_GROUP_get0_order(curve->get())));
  SecretBnPtr private_value(BN_secure_new());
  if (range == nullptr || private_value == nullptr || BN_sub_word(range.get(), 1) != 1 ||
      BN_priv_rand_range(private_value.get(), range.get()) != 1 ||
      BN_add_word(private_value.get(), 1) != 1) {
    return Fail(ErrorCode::kSystem, OpenSslError("ECP private value generation failed"));
  }
  SecretBytes encoded(CoordinateLength(group));
  if (BN_bn2binpad(private_value.get(), AsUChar(encoded.mutable_view()),
                   static_cast<int>(encoded.size())) != static_cast<int>(encoded.size())) {
    return Fail(ErrorCode::kSystem, OpenSslError("ECP private value encoding failed"));
  }
  return FromPrivate(group, encoded.view());
}

Result<EcpKey> EcpKey::FromPrivate(DhGroup group, ByteView private_value) {
  auto curve = NewCurve(group);
  if (!curve) {
    return std::unexpected(curve.error());
  }
  if (private_value.empty() || private_value.size() > CoordinateLength(group)) {
    return Fail(ErrorCode::kInvalidArgument, "invalid ECP private value length " +
                                                 std::to_string(private_value.size()) + " for " +
                                                 DhGroupName(group));
  }
  SecretBnPtr scalar(BN_secure_new());
  if (scalar == nullptr || BN_bin2bn(AsUChar(private_value), static_cast<int>(private_value.size()),
                                     scalar.get()) == nullptr) {
    return Fail(ErrorCode::kSystem, OpenSslError("ECP key setup failed"));
  }
  BN_set_flags(scalar.get(), BN_FLG_CONSTTIME);
  if (BN_is_zero(scalar.get()) || BN_cmp(scalar.get(), EC_GROUP_get0_order(curve->get())) >= 0) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string("ECP private value outside 1..n-1 for ") + DhGroupName(group));
  }

  EcpKey key(group, std::move(*curve), std::move(scalar));
  if (auto computed = key.ComputePublicValue(); !computed) {
    return std::unexpected(computed.error());
  }
  return key;
}

Result<void> EcpKey::ComputePublicValue() {
  BnCtxPtr ctx(BN_CTX_secure_new());
  PointPtr point(EC_POINT_new(curve_.get()));
  SecretBnPtr x(BN_new());
  SecretBnPtr y(BN_new());
  if (ctx == nullptr || point == nullptr || x == nullptr || y == nullptr ||
      EC_POINT_mul(curve_.get(), point.get(), private_value_.get(), nullptr, nullptr, ctx.get()) != 1 ||
      EC_POINT_get_affine_coordinates(curve_.get(), point.get(), x.get(), y.get(), ctx.get()) != 1) {
    return Fail(ErrorCode::kSystem, OpenSslError("ECP public value computation failed"));
  }
  const size_t coordinate_length = CoordinateLength(group_);
  public_value_.resize(2 * coordinate_length);
  MutableByteView out(public_value_);
  const int length = static_cast<int>(coordinate_length);
  if (BN_bn2binpad(x.get(), AsUChar(out.first(coordinate_length)), length) != length ||
      BN_bn2binpad(y.get(), AsUChar(out.last(coordinate_length)), length) != length) {
    return Fail(ErrorCode::kSystem, OpenSslError("ECP public value encoding failed"));
  }
  return {};
}

Result<SecretBytes> EcpKey::ComputeShared(ByteView peer_public) const {
  const size_t coordinate_length = CoordinateLength(group_);
  if (peer_public.size() != 2 * coordinate_length) {
    return Fail(ErrorCode::kMalformed,
                "ECP public value length " + std::to_string(peer_public.size()) + " (expected " +
                    std::to_string(2 * coordinate_length) + " for " + DhGroupName(group_) + ")");
  }

  const int length = static_cast<int>(coordinate_length);
  SecretBnPtr x(BN_bin2bn(AsUChar(peer_public.first(coordinate_length)), length, nullptr));
  SecretBnPtr y(BN_bin2bn(AsUChar(peer_public.last(coordinate_length)), length, nullptr));
  BnCtxPtr ctx(BN_CTX_secure_new());
  PointPtr peer(EC_POINT_new(curve_.get()));
  if (x == nullptr || y == nullptr || ctx == nullptr || peer == nullptr) {
    return Fail(ErrorCode::kSystem, OpenSslError("ECP peer value setup failed"));
  }
  // A coordinate at or above p is not a field element, even when it reduces
  // modulo p to a point on the curve.
  const BIGNUM* prime = EC_GROUP_get0_field(curve_.get());
  if (BN_cmp(x.get(), prime) >= 0 || BN_cmp(y.get(), prime) >= 0) {
    return Fail(ErrorCode::kMalformed,
                std::string("ECP public value has a coordinate not below p of ") +
                    DhGroupName(group_));
  }
  // OpenSSL 3 already rejects off-curve points in set_affine_coordinates.
  // The explicit check keeps the rejection independent of that behaviour.
  if (EC_POINT_set_affine_coordinates(curve_.get(), peer.get(), x.get(), y.get(), ctx.get()) != 1 ||
      EC_POINT_is_on_curve(curve_.get(), peer.get(), ctx.get()) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kMalformed,
                std::string("ECP public value is not a point on ") + DhGroupName(group_));
  }

  PointPtr product(EC_POINT_new(curve_.get()));
  SecretBnPtr shared_x(BN_secure_new());
  if (product == nullptr || shared_x == nullptr ||
      EC_POINT_mul(curve_.get(), product.get(), nullptr, peer.get(), private_value_.get(), ctx.get()) != 1) {
    return Fail(ErrorCode::kSystem, OpenSslError("ECP shared value computation failed"));
  }
  if (EC_POINT_is_at_infinity(curve_.get(), product.get()) == 1) {
    return Fail(ErrorCode::kMalformed, "ECP shared value is the point at infinity");
  }
  SecretBytes shared(coordinate_length);
  if (EC_POINT_get_affine_coordinates(curve_.get(), product.get(), shared_x.get(), nullptr, ctx.get()) != 1 ||
      BN_bn2binpad(shared_x.get(), AsUChar(shared.mutable_view()), length) != length) {
    return Fail(ErrorCode::kSystem, OpenSslError("ECP shared value encoding failed"));
  }
  return shared;
}

}  // namespace ipop::crypto::internal
