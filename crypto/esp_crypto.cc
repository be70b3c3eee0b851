#include "crypto/esp_crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <string>

#include "base/byte_reader.h"
#include "crypto/openssl_util.h"
#include "crypto/random.h"

namespace ipop::crypto {

namespace {

// SPI and sequence number precede the IV (RFC 4303 §2).
constexpr size_t kEspHeaderLength = 8;

// AES-GCM for ESP (RFC 4106): the nonce is a 4-byte salt from the end of the
// keying material (§4, §8.1) followed by the 8-byte explicit IV carried in the
// packet (§3.1). This implementation supports only the 16-byte ICV.
constexpr size_t kGcmSaltLength = 4;
constexpr size_t kGcmExplicitIvLength = 8;
constexpr size_t kGcmNonceLength = kGcmSaltLength + kGcmExplicitIvLength;
constexpr size_t kGcmIcvLength = 16;
// Without a block cipher mode constraint, the ESP trailer still aligns the
// encrypted part to 4 bytes (RFC 4303 §2.4).
constexpr size_t kGcmAlignment = 4;

constexpr size_t k3desKeyLength = 24;
constexpr size_t kAes128KeyLength = 16;
constexpr size_t kAes192KeyLength = 24;
constexpr size_t kAes256KeyLength = 32;

// Reserves the header, IV and ICV and returns the length of the encrypted part
// between them, or 0 when the packet cannot hold a valid encrypted part.
size_t EncryptedLength(size_t packet_size, size_t iv_size, size_t icv_size, size_t block_size) {
  const size_t overhead = kEspHeaderLength + iv_size + icv_size;
  if (packet_size <= overhead) {
    return 0;
  }
  const size_t length = packet_size - overhead;
  return length % block_size == 0 ? length : 0;
}

// ESP with a CBC cipher and a truncated HMAC (RFC 4303 §3.3.2, §3.4.4). The
// ICV covers SPI, sequence number, IV and ciphertext (RFC 4303 §2.8).
class CbcHmacEsp final : public EspCrypto {
 public:
  CbcHmacEsp(internal::CipherCtxPtr encrypt_ctx, internal::CipherCtxPtr decrypt_ctx,
             internal::MacCtxPtr mac_ctx, size_t block_size, size_t icv_size)
      : encrypt_ctx_(std::move(encrypt_ctx)),
        decrypt_ctx_(std::move(decrypt_ctx)),
        mac_ctx_(std::move(mac_ctx)),
        block_size_(block_size),
        icv_size_(icv_size) {}

  size_t iv_size() const override { return block_size_; }
  size_t block_size() const override { return block_size_; }
  size_t icv_size() const override { return icv_size_; }

  bool Seal(MutableByteView packet) override {
    const size_t encrypted_length =
        EncryptedLength(packet.size(), block_size_, icv_size_, block_size_);
    if (encrypted_length == 0) {
      return false;
    }
    MutableByteView iv = packet.subspan(kEspHeaderLength, block_size_);
    MutableByteView body = packet.subspan(kEspHeaderLength + block_size_, encrypted_length);
    // CBC needs an unpredictable IV (RFC 3602 §3).
    RandomBytes(iv);
    if (!RunCbc(encrypt_ctx_.get(), iv, body)) {
      return false;
    }
    MutableByteView authenticated = packet.first(packet.size() - icv_size_);
    return ComputeIcv(authenticated, packet.last(icv_size_));
  }

  bool Open(MutableByteView packet) override {
    const size_t encrypted_length =
        EncryptedLength(packet.size(), block_size_, icv_size_, block_size_);
    if (encrypted_length == 0) {
      return false;
    }
    std::array<std::byte, EVP_MAX_MD_SIZE> expected_icv{};
    MutableByteView expected = MutableByteView(expected_icv).first(icv_size_);
    if (!ComputeIcv(packet.first(packet.size() - icv_size_), expected)) {
      return false;
    }
    if (!ConstantTimeEqual(expected, packet.last(icv_size_))) {
      return false;
    }
    MutableByteView iv = packet.subspan(kEspHeaderLength, block_size_);
    MutableByteView body = packet.subspan(kEspHeaderLength + block_size_, encrypted_length);
    return RunCbc(decrypt_ctx_.get(), iv, body);
  }

 private:
  // Runs the keyed CBC context over `body` in place with a fresh IV.
  static bool RunCbc(EVP_CIPHER_CTX* ctx, ByteView iv, MutableByteView body) {
    if (EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, AsUChar(iv), -1) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
      return false;
    }
    int written = 0;
    if (EVP_CipherUpdate(ctx, AsUChar(body), &written, AsUChar(body),
                         static_cast<int>(body.size())) != 1) {
      return false;
    }
    return static_cast<size_t>(written) == body.size();
  }

  // Writes the first icv_size_ bytes of HMAC(authenticated) to `icv`.
  bool ComputeIcv(ByteView authenticated, MutableByteView icv) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    size_t mac_length = 0;
    // A null key re-initialises the context with the key given at creation.
    // NOTE: OpenSSL 3.0 frees and re-creates the digest state on every
    // re-initialisation (about 2 heap allocations per ICV, measured with
    // CRYPTO_set_mem_functions on 3.0.19), so the CBC suites are not
    // allocation-free. AES-GCM is.
    if (EVP_MAC_init(mac_ctx_.get(), nullptr, 0, nullptr) != 1 ||
        EVP_MAC_update(mac_ctx_.get(), AsUChar(authenticated), authenticated.size()) != 1 ||
        EVP_MAC_final(mac_ctx_.get(), mac.data(), &mac_length, mac.size()) != 1 ||
        mac_length < icv.size()) {
      return false;
    }
    std::copy_n(reinterpret_cast<const std::byte*>(mac.data()), icv.size(), icv.begin());
    Wipe(MutableByteView(reinterpret_cast<std::byte*>(mac.data()), mac.size()));
    return true;
  }

  internal::CipherCtxPtr encrypt_ctx_;
  internal::CipherCtxPtr decrypt_ctx_;
  internal::MacCtxPtr mac_ctx_;
  size_t block_size_;
  size_t icv_size_;
};

// ESP with AES-GCM and a 16-byte ICV (RFC 4106). The additional
// authenticated data is SPI and 32-bit sequence number (RFC 4106 §5).
class GcmEsp final : public EspCrypto {
 public:
  GcmEsp(internal::CipherCtxPtr encrypt_ctx, internal::CipherCtxPtr decrypt_ctx, ByteView salt)
      : encrypt_ctx_(std::move(encrypt_ctx)), decrypt_ctx_(std::move(decrypt_ctx)) {
    std::copy(salt.begin(), salt.end(), nonce_.begin());
  }

  size_t iv_size() const override { return kGcmExplicitIvLength; }
  size_t block_size() const override { return kGcmAlignment; }
  size_t icv_size() const override { return kGcmIcvLength; }

  bool Seal(MutableByteView packet) override {
    const size_t encrypted_length =
        EncryptedLength(packet.size(), kGcmExplicitIvLength, kGcmIcvLength, kGcmAlignment);
    if (encrypted_length == 0) {
      return false;
    }
    // The explicit IV is the sequence number zero-extended to 64 bits. The
    // sender never reuses a sequence number under one SA (RFC 4303 §3.3.3),
    // so no nonce repeats under a key, which RFC 4106 §3.1 requires.
    MutableByteView iv = packet.subspan(kEspHeaderLength, kGcmExplicitIvLength);
    const uint32_t sequence = LoadU32(packet.subspan(4, 4));
    StoreU32(iv.first(4), 0);
    StoreU32(iv.last(4), sequence);

    MutableByteView body =
        packet.subspan(kEspHeaderLength + kGcmExplicitIvLength, encrypted_length);
    if (!Start(encrypt_ctx_.get(), packet.first(kEspHeaderLength), iv) ||
        !Process(encrypt_ctx_.get(), body)) {
      return false;
    }
    int final_written = 0;
    if (EVP_EncryptFinal_ex(encrypt_ctx_.get(), nullptr, &final_written) != 1) {
      return false;
    }
    return EVP_CIPHER_CTX_ctrl(encrypt_ctx_.get(), EVP_CTRL_AEAD_GET_TAG, kGcmIcvLength,
                               packet.last(kGcmIcvLength).data()) == 1;
  }

  bool Open(MutableByteView packet) override {
    const size_t encrypted_length =
        EncryptedLength(packet.size(), kGcmExplicitIvLength, kGcmIcvLength, kGcmAlignment);
    if (encrypted_length == 0) {
      return false;
    }
    MutableByteView iv = packet.subspan(kEspHeaderLength, kGcmExplicitIvLength);
    MutableByteView body =
        packet.subspan(kEspHeaderLength + kGcmExplicitIvLength, encrypted_length);
    MutableByteView icv = packet.last(kGcmIcvLength);

    if (!Start(decrypt_ctx_.get(), packet.first(kEspHeaderLength), iv) ||
        EVP_CIPHER_CTX_ctrl(decrypt_ctx_.get(), EVP_CTRL_AEAD_SET_TAG, kGcmIcvLength, icv.data()) !=
            1) {
      return false;
    }
    // GCM checks the tag only in the final step, after the in-place pass has
    // already produced plaintext. On a mismatch the same counter-mode
    // keystream is applied once more, which restores the ciphertext, so a
    // forged packet leaves the buffer as it came and no plaintext escapes.
    if (!Process(decrypt_ctx_.get(), body)) {
      return false;
    }
    int final_written = 0;
    if (EVP_DecryptFinal_ex(decrypt_ctx_.get(), nullptr, &final_written) == 1) {
      return true;
    }
    if (Start(encrypt_ctx_.get(), packet.first(kEspHeaderLength), iv)) {
      Process(encrypt_ctx_.get(), body);
    } else {
      Wipe(body);
    }
    return false;
  }

 private:
  // Sets the nonce salt || explicit IV on the keyed context and feeds the AAD.
  bool Start(EVP_CIPHER_CTX* ctx, ByteView aad, ByteView explicit_iv) {
    std::copy(explicit_iv.begin(), explicit_iv.end(), nonce_.begin() + kGcmSaltLength);
    int written = 0;
    return EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, AsUChar(ByteView(nonce_)), -1) == 1 &&
           EVP_CipherUpdate(ctx, nullptr, &written, AsUChar(aad), static_cast<int>(aad.size())) ==
               1;
  }

  static bool Process(EVP_CIPHER_CTX* ctx, MutableByteView body) {
    int written = 0;
    return EVP_CipherUpdate(ctx, AsUChar(body), &written, AsUChar(body),
                            static_cast<int>(body.size())) == 1 &&
           static_cast<size_t>(written) == body.size();
  }

  internal::CipherCtxPtr encrypt_ctx_;
  internal::CipherCtxPtr decrypt_ctx_;
  std::array<std::byte, kGcmNonceLength> nonce_{};
};

std::string LengthError(const char* algorithm_name, size_t length) {
  return std::string("invalid ") + algorithm_name + " key length " + std::to_string(length);
}

// Creates a keyed cipher context for one direction. The IV comes per packet.
internal::CipherCtxPtr NewCipherContext(const EVP_CIPHER* cipher, ByteView key, bool encrypt) {
  internal::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr ||
      EVP_CipherInit_ex(ctx.get(), cipher, nullptr, AsUChar(key), nullptr, encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    return nullptr;
  }
  return ctx;
}

Result<std::unique_ptr<EspCrypto>> CreateCbc(EspCipher cipher, EspIntegrity integrity,
                                             ByteView cipher_key, ByteView integrity_key) {
  const EVP_CIPHER* evp_cipher = nullptr;
  if (cipher == EspCipher::k3desCbc && cipher_key.size() == k3desKeyLength) {
    evp_cipher = EVP_des_ede3_cbc();
  } else if (cipher == EspCipher::kAesCbc && cipher_key.size() == kAes128KeyLength) {
    evp_cipher = EVP_aes_128_cbc();
  } else if (cipher == EspCipher::kAesCbc && cipher_key.size() == kAes192KeyLength) {
    evp_cipher = EVP_aes_192_cbc();
  } else if (cipher == EspCipher::kAesCbc && cipher_key.size() == kAes256KeyLength) {
    evp_cipher = EVP_aes_256_cbc();
  } else {
    return Fail(ErrorCode::kInvalidArgument, LengthError(EspCipherName(cipher), cipher_key.size()));
  }

  HashAlgorithm hash = HashAlgorithm::kSha1;
  switch (integrity) {
    case EspIntegrity::kNone:
      // TODO(crypto): CBC without integrity is legal ESP (RFC 4303 §3.2) but
      // unsafe, and no supported configuration requests it.
      return Fail(ErrorCode::kUnsupported, std::string(EspCipherName(cipher)) +
                                               " without an integrity algorithm is not supported");
    case EspIntegrity::kHmacSha1_96:
      hash = HashAlgorithm::kSha1;
      break;
    case EspIntegrity::kHmacSha256_128:
    case EspIntegrity::kHmacSha256_96:
      hash = HashAlgorithm::kSha256;
      break;
    case EspIntegrity::kHmacSha384_192:
      hash = HashAlgorithm::kSha384;
      break;
    case EspIntegrity::kHmacSha512_256:
      hash = HashAlgorithm::kSha512;
      break;
  }
  if (integrity_key.size() != EspIntegrityKeyLength(integrity)) {
    return Fail(ErrorCode::kInvalidArgument,
                LengthError(EspIntegrityName(integrity), integrity_key.size()));
  }

  internal::CipherCtxPtr encrypt_ctx = NewCipherContext(evp_cipher, cipher_key, true);
  internal::CipherCtxPtr decrypt_ctx = NewCipherContext(evp_cipher, cipher_key, false);
  internal::MacCtxPtr mac_ctx(
      internal::NewHmacContext(hash, AsUChar(integrity_key), integrity_key.size()));
  if (encrypt_ctx == nullptr || decrypt_ctx == nullptr || mac_ctx == nullptr) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("ESP context setup failed"));
  }
  const size_t block_size = static_cast<size_t>(EVP_CIPHER_get_block_size(evp_cipher));
  return std::make_unique<CbcHmacEsp>(std::move(encrypt_ctx), std::move(decrypt_ctx),
                                      std::move(mac_ctx), block_size,
                                      EspIntegrityIcvLength(integrity));
}

Result<std::unique_ptr<EspCrypto>> CreateGcm(EspIntegrity integrity, ByteView cipher_key,
                                             ByteView integrity_key) {
  // AES-GCM authenticates by itself, so ESP negotiates no integrity transform
  // with it (RFC 4106).
  if (integrity != EspIntegrity::kNone || !integrity_key.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "AES-GCM takes no separate integrity algorithm");
  }
  const size_t aes_key_length = cipher_key.size() - std::min(cipher_key.size(), kGcmSaltLength);
  const EVP_CIPHER* evp_cipher = nullptr;
  if (cipher_key.size() > kGcmSaltLength && aes_key_length == kAes128KeyLength) {
    evp_cipher = EVP_aes_128_gcm();
  } else if (cipher_key.size() > kGcmSaltLength && aes_key_length == kAes192KeyLength) {
    evp_cipher = EVP_aes_192_gcm();
  } else if (cipher_key.size() > kGcmSaltLength && aes_key_length == kAes256KeyLength) {
    evp_cipher = EVP_aes_256_gcm();
  } else {
    return Fail(ErrorCode::kInvalidArgument,
                LengthError("AES-GCM (key and 4-byte salt)", cipher_key.size()));
  }

  ByteView aes_key = cipher_key.first(aes_key_length);
  internal::CipherCtxPtr encrypt_ctx = NewCipherContext(evp_cipher, aes_key, true);
  internal::CipherCtxPtr decrypt_ctx = NewCipherContext(evp_cipher, aes_key, false);
  if (encrypt_ctx == nullptr || decrypt_ctx == nullptr ||
      EVP_CIPHER_CTX_ctrl(encrypt_ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, kGcmNonceLength, nullptr) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(decrypt_ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, kGcmNonceLength, nullptr) !=
          1) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("ESP AES-GCM context setup failed"));
  }
  return std::make_unique<GcmEsp>(std::move(encrypt_ctx), std::move(decrypt_ctx),
                                  cipher_key.last(kGcmSaltLength));
}

}  // namespace

Result<std::unique_ptr<EspCrypto>> EspCrypto::Create(EspCipher cipher, EspIntegrity integrity,
                                                     ByteView cipher_key, ByteView integrity_key) {
  switch (cipher) {
    case EspCipher::kNull:
      // TODO(crypto): ESP_NULL (RFC 2410) is not implemented.
      return Fail(ErrorCode::kUnsupported, "ESP NULL encryption is not supported");
    case EspCipher::k3desCbc:
    case EspCipher::kAesCbc:
      return CreateCbc(cipher, integrity, cipher_key, integrity_key);
    case EspCipher::kAesGcm16:
      return CreateGcm(integrity, cipher_key, integrity_key);
  }
  return Fail(ErrorCode::kUnsupported, "unknown ESP cipher");
}

}  // namespace ipop::crypto
