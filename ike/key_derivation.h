// IKEv1 key derivation and authentication hashes (RFC 2409 §5, §5.5 and
// Appendix B). Every function is pure: it takes the negotiated hash, whose
// HMAC is the prf (RFC 2409 §4), and the exchanged values, and returns the
// derived bytes.
//
// Naming follows RFC 2409: a "_b" suffix means the payload body without its
// generic payload header, so `nonce_i` is Ni_b and `sa_i_body` is SAi_b.
// Cookies are the 8-byte CKY-I and CKY-R from the ISAKMP header. DH values
// are the KE payload bodies, left-padded to the modulus length.
#ifndef IPOP_IKE_KEY_DERIVATION_H_
#define IPOP_IKE_KEY_DERIVATION_H_

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "crypto/algorithms.h"
#include "crypto/secret.h"

namespace ipop::ike {

// Protocol identifier placed before the SPI in KEYMAT (RFC 2407 §4.4.1).
inline constexpr uint8_t kKeymatProtocolEsp = 3;

// The phase 1 key set of one ISAKMP SA (RFC 2409 §5).
struct Phase1Keys {
  crypto::SecretBytes skeyid;
  crypto::SecretBytes skeyid_d;  // keys phase 2 SAs (KEYMAT)
  crypto::SecretBytes skeyid_a;  // authenticates phase 2 and informational messages
  crypto::SecretBytes skeyid_e;  // source of the encryption key
  // The IKE cipher key: SKEYID_e truncated, or expanded as K1 | K2 | ...
  // when SKEYID_e is too short (RFC 2409 Appendix B).
  crypto::SecretBytes encryption_key;
};

// Computes SKEYID for signature authentication: prf(Ni_b | Nr_b, g^xy).
crypto::SecretBytes ComputeSkeyidForSignatures(crypto::HashAlgorithm prf, ByteView nonce_i,
                                               ByteView nonce_r, const crypto::SecretBytes& shared);

// Computes SKEYID for pre-shared key authentication:
// prf(pre-shared-key, Ni_b | Nr_b).
crypto::SecretBytes ComputeSkeyidForPreSharedKey(crypto::HashAlgorithm prf, ByteView pre_shared_key,
                                                 ByteView nonce_i, ByteView nonce_r);

// Derives SKEYID_d, SKEYID_a, SKEYID_e and the encryption key from SKEYID,
// which the result takes over. `encryption_key_length` is the IKE cipher key
// size in bytes (24 for 3DES, 16/24/32 for AES).
Phase1Keys DerivePhase1Keys(crypto::HashAlgorithm prf, crypto::SecretBytes skeyid,
                            const crypto::SecretBytes& shared, ByteView cookie_i, ByteView cookie_r,
                            size_t encryption_key_length);

// Expands SKEYID_e into an IKE cipher key of `length` bytes: the first bytes
// of SKEYID_e when it is long enough, otherwise the first bytes of
// K1 | K2 | ... with K1 = prf(SKEYID_e, 0x00) and Kn = prf(SKEYID_e, Kn-1).
crypto::SecretBytes ExpandEncryptionKey(crypto::HashAlgorithm prf,
                                        const crypto::SecretBytes& skeyid_e, size_t length);

// Computes the first phase 1 IV: hash(g^xi | g^xr) truncated to the cipher
// block size (RFC 2409 Appendix B). Later phase 1 messages chain on the last
// ciphertext block of the previous message.
Bytes ComputePhase1Iv(crypto::HashAlgorithm hash, ByteView public_i, ByteView public_r,
                      size_t block_size);

// Computes the first IV of a Quick Mode or Informational exchange:
// hash(last phase 1 CBC block | M-ID) truncated to the block size. The
// message ID is hashed in network byte order.
Bytes ComputePhase2Iv(crypto::HashAlgorithm hash, ByteView last_phase1_block, uint32_t message_id,
                      size_t block_size);

// Computes HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b).
Bytes ComputeHashI(crypto::HashAlgorithm prf, const crypto::SecretBytes& skeyid, ByteView public_i,
                   ByteView public_r, ByteView cookie_i, ByteView cookie_r, ByteView sa_i_body,
                   ByteView id_i_body);

// Computes HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b).
// The arguments come in the same order as for ComputeHashI, and the function
// swaps them as RFC 2409 §5 requires.
Bytes ComputeHashR(crypto::HashAlgorithm prf, const crypto::SecretBytes& skeyid, ByteView public_i,
                   ByteView public_r, ByteView cookie_i, ByteView cookie_r, ByteView sa_i_body,
                   ByteView id_r_body);

// Computes Quick Mode HASH(1) = prf(SKEYID_a, M-ID | rest), where `rest` is
// every payload after the HASH payload, generic headers included.
Bytes ComputeQuickModeHash1(crypto::HashAlgorithm prf, const crypto::SecretBytes& skeyid_a,
                            uint32_t message_id, ByteView rest);

// Computes Quick Mode HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest).
Bytes ComputeQuickModeHash2(crypto::HashAlgorithm prf, const crypto::SecretBytes& skeyid_a,
                            uint32_t message_id, ByteView nonce_i, ByteView rest);

// Computes Quick Mode HASH(3) = prf(SKEYID_a, 0x00 | M-ID | Ni_b | Nr_b).
Bytes ComputeQuickModeHash3(crypto::HashAlgorithm prf, const crypto::SecretBytes& skeyid_a,
                            uint32_t message_id, ByteView nonce_i, ByteView nonce_r);

// Computes the Informational exchange HASH(1) = prf(SKEYID_a, M-ID | N/D),
// where `payloads` is the Notification or Delete payload with its generic
// header (RFC 2409 §5.7).
Bytes ComputeInformationalHash(crypto::HashAlgorithm prf, const crypto::SecretBytes& skeyid_a,
                               uint32_t message_id, ByteView payloads);

// Computes `length` bytes of KEYMAT for one SA (RFC 2409 §5.5):
// K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b) and
// Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b).
// `pfs_shared` is the Quick Mode DH value, empty without PFS. `spi` is the SPI
// of the SA being keyed, which its receiving side chose, hashed in network
// byte order. The cipher key comes first in the result, then the integrity
// key.
crypto::SecretBytes ComputeKeymat(crypto::HashAlgorithm prf, const crypto::SecretBytes& skeyid_d,
                                  ByteView pfs_shared, uint8_t protocol, uint32_t spi,
                                  ByteView nonce_i, ByteView nonce_r, size_t length);

}  // namespace ipop::ike

#endif  // IPOP_IKE_KEY_DERIVATION_H_
