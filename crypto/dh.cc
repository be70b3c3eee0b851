#include "crypto/dh.h"

#include <openssl/bn.h>

#include <optional>
#include <string>

#include "crypto/ecp_key.h"
#include "crypto/openssl_util.h"

namespace ipop::crypto {

namespace {

// Every IKE MODP group uses generator 2 (RFC 2409 §6.1-§6.2, RFC 3526 §2-§3).
constexpr unsigned long kGenerator = 2;

struct BnDeleter {
  // BN_clear_free wipes the value, which matters for private exponents.
  void operator()(BIGNUM* bn) const { BN_clear_free(bn); }
};
struct BnCtxDeleter {
  void operator()(BN_CTX* ctx) const { BN_CTX_free(ctx); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
using BnCtxPtr = std::unique_ptr<BN_CTX, BnCtxDeleter>;

// Returns the group's prime p. OpenSSL carries the primes of RFC 2409 §6
// and RFC 3526 under these names.
BnPtr ModulusFor(DhGroup group) {
  switch (group) {
    case DhGroup::kModp768:
      return BnPtr(BN_get_rfc2409_prime_768(nullptr));
    case DhGroup::kModp1024:
      return BnPtr(BN_get_rfc2409_prime_1024(nullptr));
    case DhGroup::kModp1536:
      return BnPtr(BN_get_rfc3526_prime_1536(nullptr));
    case DhGroup::kModp2048:
      return BnPtr(BN_get_rfc3526_prime_2048(nullptr));
    case DhGroup::kModp3072:
      return BnPtr(BN_get_rfc3526_prime_3072(nullptr));
    case DhGroup::kModp4096:
      return BnPtr(BN_get_rfc3526_prime_4096(nullptr));
    case DhGroup::kModp6144:
      return BnPtr(BN_get_rfc3526_prime_6144(nullptr));
    case DhGroup::kModp8192:
      return BnPtr(BN_get_rfc3526_prime_8192(nullptr));
    case DhGroup::kEcp256:
    case DhGroup::kEcp384:
      break;
  }
  return nullptr;
}

// Computes base^exponent mod p in constant time with respect to the exponent
// and writes it left-padded to `out`, which must be the modulus length.
bool ModExpPadded(const BIGNUM* base, const BIGNUM* exponent, const BIGNUM* modulus,
                  MutableByteView out) {
  BnCtxPtr ctx(BN_CTX_secure_new());
  BnPtr result(BN_new());
  if (ctx == nullptr || result == nullptr) {
    return false;
  }
  if (BN_mod_exp_mont_consttime(result.get(), base, exponent, modulus, ctx.get(), nullptr) != 1) {
    return false;
  }
  return BN_bn2binpad(result.get(), AsUChar(out), static_cast<int>(out.size())) ==
         static_cast<int>(out.size());
}

}  // namespace

// Either the MODP fields or `ecp` are set, depending on the group.
struct DhKeyPair::State {
  DhGroup group;
  BnPtr modulus;
  BnPtr private_value;
  Bytes public_value;
  std::optional<internal::EcpKey> ecp;
};

DhKeyPair::DhKeyPair(std::unique_ptr<State> state) : state_(std::move(state)) {}
DhKeyPair::DhKeyPair(DhKeyPair&&) noexcept = default;
DhKeyPair& DhKeyPair::operator=(DhKeyPair&&) noexcept = default;
DhKeyPair::~DhKeyPair() = default;

DhGroup DhKeyPair::group() const { return state_->group; }

const Bytes& DhKeyPair::public_value() const {
  return state_->ecp ? state_->ecp->public_value() : state_->public_value;
}

Result<DhKeyPair> DhKeyPair::FromEcpKey(DhGroup group, Result<internal::EcpKey> key) {
  if (!key) {
    return std::unexpected(key.error());
  }
  auto state = std::make_unique<State>();
  state->group = group;
  state->ecp = std::move(*key);
  return DhKeyPair(std::move(state));
}

Result<DhKeyPair> DhKeyPair::Generate(DhGroup group) {
  if (IsEllipticCurveGroup(group)) {
    return FromEcpKey(group, internal::EcpKey::Generate(group));
  }
  BnPtr modulus = ModulusFor(group);
  if (modulus == nullptr) {
    return Fail(ErrorCode::kUnsupported,
                "unsupported DH group " + std::to_string(static_cast<int>(group)));
  }
  // Draws x uniformly from [2, p-2]: x in [0, p-4] from the generator, plus 2.
  BnPtr range(BN_dup(modulus.get()));
  BnPtr private_value(BN_secure_new());
  if (range == nullptr || private_value == nullptr || BN_sub_word(range.get(), 3) != 1 ||
      BN_priv_rand_range(private_value.get(), range.get()) != 1 ||
      BN_add_word(private_value.get(), 2) != 1) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("DH private value generation failed"));
  }

  SecretBytes encoded(DhGroupBytes(group));
  BN_bn2binpad(private_value.get(), AsUChar(encoded.mutable_view()),
               static_cast<int>(encoded.size()));
  return FromPrivate(group, encoded.view());
}

Result<DhKeyPair> DhKeyPair::FromPrivate(DhGroup group, ByteView private_value) {
  if (IsEllipticCurveGroup(group)) {
    return FromEcpKey(group, internal::EcpKey::FromPrivate(group, private_value));
  }
  auto state = std::make_unique<State>();
  state->group = group;
  state->modulus = ModulusFor(group);
  if (state->modulus == nullptr) {
    return Fail(ErrorCode::kUnsupported,
                "unsupported DH group " + std::to_string(static_cast<int>(group)));
  }
  const size_t modulus_bytes = DhGroupBytes(group);
  if (private_value.empty() || private_value.size() > modulus_bytes) {
    return Fail(ErrorCode::kInvalidArgument, "invalid DH private value length " +
                                                 std::to_string(private_value.size()) + " for " +
                                                 DhGroupName(group));
  }

  state->private_value.reset(BN_secure_new());
  BnPtr generator(BN_new());
  if (state->private_value == nullptr || generator == nullptr ||
      BN_bin2bn(AsUChar(private_value), static_cast<int>(private_value.size()),
                state->private_value.get()) == nullptr ||
      BN_set_word(generator.get(), kGenerator) != 1) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("DH key setup failed"));
  }
  BN_set_flags(state->private_value.get(), BN_FLG_CONSTTIME);
  if (BN_is_zero(state->private_value.get())) {
    return Fail(ErrorCode::kInvalidArgument, "DH private value is zero");
  }

  state->public_value.resize(modulus_bytes);
  if (!ModExpPadded(generator.get(), state->private_value.get(), state->modulus.get(),
                    MutableByteView(state->public_value))) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("DH public value computation failed"));
  }
  return DhKeyPair(std::move(state));
}

Result<SecretBytes> DhKeyPair::ComputeShared(ByteView peer_public) const {
  if (state_->ecp) {
    return state_->ecp->ComputeShared(peer_public);
  }
  const size_t modulus_bytes = DhGroupBytes(state_->group);
  if (peer_public.size() != modulus_bytes) {
    return Fail(ErrorCode::kMalformed,
                "DH public value length " + std::to_string(peer_public.size()) + " (expected " +
                    std::to_string(modulus_bytes) + " for " + DhGroupName(state_->group) + ")");
  }

  BnPtr peer(BN_bin2bn(AsUChar(peer_public), static_cast<int>(peer_public.size()), nullptr));
  BnPtr upper_bound(BN_dup(state_->modulus.get()));
  if (peer == nullptr || upper_bound == nullptr || BN_sub_word(upper_bound.get(), 1) != 1) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("DH peer value setup failed"));
  }
  // 0, 1 and p-1 would force the shared value into {0, 1, p-1}, and values at
  // or above p are not group elements, so a valid peer value is in 2..p-2.
  if (BN_cmp(peer.get(), BN_value_one()) <= 0 || BN_cmp(peer.get(), upper_bound.get()) >= 0) {
    return Fail(ErrorCode::kMalformed, "DH public value outside 2..p-2");
  }

  SecretBytes shared(modulus_bytes);
  if (!ModExpPadded(peer.get(), state_->private_value.get(), state_->modulus.get(),
                    shared.mutable_view())) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("DH shared value computation failed"));
  }
  return shared;
}

}  // namespace ipop::crypto
