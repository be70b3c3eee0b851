// Per-SA ESP protection (RFC 4303 §3.3.2 and §3.4.4): CBC with HMAC, and
// AES-GCM (RFC 4106). Contexts are set up once per SA so that protecting a
// packet allocates nothing. An instance is used by one thread at a time.
//
// The packet span passed to Seal and Open is the whole ESP packet:
//
//   | SPI (4) | Sequence (4) | IV | payload, padding, pad length, next header | ICV |
//
// Seal expects the caller to have written SPI, sequence and the plaintext
// trailer (payload through next header, padded to block_size()), leaving the
// IV and ICV regions to it. Open decrypts in place and releases no plaintext
// unless the ICV matches. The CBC suites check the ICV before decrypting.
// AES-GCM learns the tag result only after its decryption pass, so on a
// mismatch it re-applies the keystream to restore the ciphertext.
#ifndef IPOP_CRYPTO_ESP_CRYPTO_H_
#define IPOP_CRYPTO_ESP_CRYPTO_H_

#include <cstdint>
#include <memory>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/algorithms.h"
#include "crypto/secret.h"

namespace ipop::crypto {

class EspCrypto {
 public:
  virtual ~EspCrypto() = default;

  // For AES-GCM, `cipher_key` is key || 4-byte salt and `integrity_key` is
  // empty. Key lengths are checked against the algorithms.
  static Result<std::unique_ptr<EspCrypto>> Create(EspCipher cipher, EspIntegrity integrity,
                                                   ByteView cipher_key, ByteView integrity_key);

  virtual size_t iv_size() const = 0;
  // The encrypted part must be a multiple of this (4 for GCM, RFC 4303 §2.4).
  virtual size_t block_size() const = 0;
  virtual size_t icv_size() const = 0;

  // `packet` spans header through ICV. GCM builds its IV from the sequence
  // number in the header, so an IV never repeats under one key; CBC draws a
  // random IV. Returns false only on a library error.
  virtual bool Seal(MutableByteView packet) = 0;
  // Returns false when the ICV does not match; the packet is then unchanged
  // in its encrypted part.
  virtual bool Open(MutableByteView packet) = 0;
};

}  // namespace ipop::crypto

#endif  // IPOP_CRYPTO_ESP_CRYPTO_H_
