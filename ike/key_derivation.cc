#include "ike/key_derivation.h"

#include <array>

#include "crypto/hash.h"

namespace ipop::ike {

namespace {

using crypto::HashAlgorithm;
using crypto::Hmac;
using crypto::SecretBytes;

// The one-octet constants appended to SKEYID_d, SKEYID_a and SKEYID_e input
// (RFC 2409 §5), and the octet hashed first in K1 and in Quick Mode HASH(3).
constexpr std::byte kOctet0{0};
constexpr std::byte kOctet1{1};
constexpr std::byte kOctet2{2};

ByteView OneOctet(const std::byte& octet) { return ByteView(&octet, 1); }

// The message ID as it appears in the ISAKMP header, in network byte order.
std::array<std::byte, 4> EncodeU32(uint32_t value) {
  return {std::byte(value >> 24), std::byte(value >> 16), std::byte(value >> 8), std::byte(value)};
}

// Copies a public prf output, such as an authentication hash, out of the
// secret buffer that Hmac returns.
Bytes ToPublic(const SecretBytes& value) { return Bytes(value.view().begin(), value.view().end()); }

// prf(SKEYID, previous | g^xy | CKY-I | CKY-R | octet), the common shape of
// SKEYID_d, SKEYID_a and SKEYID_e (RFC 2409 §5).
SecretBytes DeriveSkeyidChild(HashAlgorithm prf, const SecretBytes& skeyid, ByteView previous,
                              const SecretBytes& shared, ByteView cookie_i, ByteView cookie_r,
                              const std::byte& octet) {
  Hmac hmac(prf, skeyid.view());
  hmac.Update(previous);
  hmac.Update(shared.view());
  hmac.Update(cookie_i);
  hmac.Update(cookie_r);
  hmac.Update(OneOctet(octet));
  return hmac.Final();
}

// prf(SKEYID, first_public | second_public | first_cookie | second_cookie |
// SAi_b | ID_b), the shape of HASH_I and HASH_R.
Bytes ComputePhase1AuthHash(HashAlgorithm prf, const SecretBytes& skeyid, ByteView first_public,
                            ByteView second_public, ByteView first_cookie, ByteView second_cookie,
                            ByteView sa_i_body, ByteView id_body) {
  Hmac hmac(prf, skeyid.view());
  hmac.Update(first_public);
  hmac.Update(second_public);
  hmac.Update(first_cookie);
  hmac.Update(second_cookie);
  hmac.Update(sa_i_body);
  hmac.Update(id_body);
  return ToPublic(hmac.Final());
}

// Truncates a hash to the cipher block size for use as an IV.
Bytes TruncateToBlock(Bytes digest, size_t block_size) {
  if (digest.size() > block_size) {
    digest.resize(block_size);
  }
  return digest;
}

}  // namespace

SecretBytes ComputeSkeyidForSignatures(HashAlgorithm prf, ByteView nonce_i, ByteView nonce_r,
                                       const SecretBytes& shared) {
  SecretBytes nonces = SecretBytes::CopyOf(nonce_i);
  nonces.Append(nonce_r);
  return crypto::HmacOnce(prf, nonces.view(), shared.view());
}

SecretBytes ComputeSkeyidForPreSharedKey(HashAlgorithm prf, ByteView pre_shared_key,
                                         ByteView nonce_i, ByteView nonce_r) {
  Hmac hmac(prf, pre_shared_key);
  hmac.Update(nonce_i);
  hmac.Update(nonce_r);
  return hmac.Final();
}

Phase1Keys DerivePhase1Keys(HashAlgorithm prf, SecretBytes skeyid, const SecretBytes& shared,
                            ByteView cookie_i, ByteView cookie_r, size_t encryption_key_length) {
  Phase1Keys keys;
  keys.skeyid_d = DeriveSkeyidChild(prf, skeyid, {}, shared, cookie_i, cookie_r, kOctet0);
  keys.skeyid_a =
      DeriveSkeyidChild(prf, skeyid, keys.skeyid_d.view(), shared, cookie_i, cookie_r, kOctet1);
  keys.skeyid_e =
      DeriveSkeyidChild(prf, skeyid, keys.skeyid_a.view(), shared, cookie_i, cookie_r, kOctet2);
  keys.encryption_key = ExpandEncryptionKey(prf, keys.skeyid_e, encryption_key_length);
  keys.skeyid = std::move(skeyid);
  return keys;
}

SecretBytes ExpandEncryptionKey(HashAlgorithm prf, const SecretBytes& skeyid_e, size_t length) {
  if (skeyid_e.size() >= length) {
    return SecretBytes::CopyOf(skeyid_e.view().first(length));
  }
  // RFC 2409 Appendix B: Ka = K1 | K2 | K3 ..., K1 = prf(SKEYID_e, 0) with a
  // single zero octet, Kn = prf(SKEYID_e, Kn-1).
  SecretBytes key;
  SecretBytes block = crypto::HmacOnce(prf, skeyid_e.view(), OneOctet(kOctet0));
  while (true) {
    key.Append(block.view());
    if (key.size() >= length) {
      break;
    }
    block = crypto::HmacOnce(prf, skeyid_e.view(), block.view());
  }
  key.Truncate(length);
  return key;
}

Bytes ComputePhase1Iv(HashAlgorithm hash, ByteView public_i, ByteView public_r, size_t block_size) {
  Bytes input(public_i.begin(), public_i.end());
  Append(input, public_r);
  return TruncateToBlock(crypto::Hash(hash, input), block_size);
}

Bytes ComputePhase2Iv(HashAlgorithm hash, ByteView last_phase1_block, uint32_t message_id,
                      size_t block_size) {
  Bytes input(last_phase1_block.begin(), last_phase1_block.end());
  Append(input, EncodeU32(message_id));
  return TruncateToBlock(crypto::Hash(hash, input), block_size);
}

Bytes ComputeHashI(HashAlgorithm prf, const SecretBytes& skeyid, ByteView public_i,
                   ByteView public_r, ByteView cookie_i, ByteView cookie_r, ByteView sa_i_body,
                   ByteView id_i_body) {
  return ComputePhase1AuthHash(prf, skeyid, public_i, public_r, cookie_i, cookie_r, sa_i_body,
                               id_i_body);
}

Bytes ComputeHashR(HashAlgorithm prf, const SecretBytes& skeyid, ByteView public_i,
                   ByteView public_r, ByteView cookie_i, ByteView cookie_r, ByteView sa_i_body,
                   ByteView id_r_body) {
  return ComputePhase1AuthHash(prf, skeyid, public_r, public_i, cookie_r, cookie_i, sa_i_body,
                               id_r_body);
}

Bytes ComputeQuickModeHash1(HashAlgorithm prf, const SecretBytes& skeyid_a, uint32_t message_id,
                            ByteView rest) {
  Hmac hmac(prf, skeyid_a.view());
  hmac.Update(EncodeU32(message_id));
  hmac.Update(rest);
  return ToPublic(hmac.Final());
}

Bytes ComputeQuickModeHash2(HashAlgorithm prf, const SecretBytes& skeyid_a, uint32_t message_id,
                            ByteView nonce_i, ByteView rest) {
  Hmac hmac(prf, skeyid_a.view());
  hmac.Update(EncodeU32(message_id));
  hmac.Update(nonce_i);
  hmac.Update(rest);
  return ToPublic(hmac.Final());
}

Bytes ComputeQuickModeHash3(HashAlgorithm prf, const SecretBytes& skeyid_a, uint32_t message_id,
                            ByteView nonce_i, ByteView nonce_r) {
  Hmac hmac(prf, skeyid_a.view());
  hmac.Update(OneOctet(kOctet0));
  hmac.Update(EncodeU32(message_id));
  hmac.Update(nonce_i);
  hmac.Update(nonce_r);
  return ToPublic(hmac.Final());
}

Bytes ComputeInformationalHash(HashAlgorithm prf, const SecretBytes& skeyid_a, uint32_t message_id,
                               ByteView payloads) {
  return ComputeQuickModeHash1(prf, skeyid_a, message_id, payloads);
}

SecretBytes ComputeKeymat(HashAlgorithm prf, const SecretBytes& skeyid_d, ByteView pfs_shared,
                          uint8_t protocol, uint32_t spi, ByteView nonce_i, ByteView nonce_r,
                          size_t length) {
  const std::byte protocol_octet{protocol};
  const std::array<std::byte, 4> spi_bytes = EncodeU32(spi);
  // Computes prf(SKEYID_d, previous | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b).
  auto compute_block = [&](ByteView previous) {
    Hmac hmac(prf, skeyid_d.view());
    hmac.Update(previous);
    hmac.Update(pfs_shared);
    hmac.Update(OneOctet(protocol_octet));
    hmac.Update(spi_bytes);
    hmac.Update(nonce_i);
    hmac.Update(nonce_r);
    return hmac.Final();
  };

  SecretBytes keymat;
  SecretBytes block = compute_block({});
  while (true) {
    keymat.Append(block.view());
    if (keymat.size() >= length) {
      break;
    }
    block = compute_block(block.view());
  }
  keymat.Truncate(length);
  return keymat;
}

}  // namespace ipop::ike
