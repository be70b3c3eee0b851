#include "crypto/ike_cipher.h"

#include <openssl/evp.h>

#include <string>

#include "crypto/openssl_util.h"

namespace ipop::crypto {

namespace {

// 3DES keys are three DES keys (RFC 2451 §2.2). AES takes 128, 192 or 256
// bit keys (RFC 3602 §2.2).
constexpr size_t k3desKeyLength = 24;
constexpr size_t kAes128KeyLength = 16;
constexpr size_t kAes192KeyLength = 24;
constexpr size_t kAes256KeyLength = 32;

Result<const EVP_CIPHER*> SelectCipher(IkeCipher cipher, size_t key_length) {
  switch (cipher) {
    case IkeCipher::k3desCbc:
      if (key_length == k3desKeyLength) {
        return EVP_des_ede3_cbc();
      }
      break;
    case IkeCipher::kAesCbc:
      if (key_length == kAes128KeyLength) {
        return EVP_aes_128_cbc();
      }
      if (key_length == kAes192KeyLength) {
        return EVP_aes_192_cbc();
      }
      if (key_length == kAes256KeyLength) {
        return EVP_aes_256_cbc();
      }
      break;
  }
  return Fail(ErrorCode::kInvalidArgument, std::string("invalid ") + IkeCipherName(cipher) +
                                               " key length " + std::to_string(key_length));
}

Result<Bytes> RunCbc(IkeCipher cipher, ByteView key, ByteView iv, ByteView input, bool encrypt) {
  Result<const EVP_CIPHER*> evp_cipher = SelectCipher(cipher, key.size());
  if (!evp_cipher) {
    return std::unexpected(evp_cipher.error());
  }
  const size_t block_size = IkeCipherBlockSize(cipher);
  if (iv.size() != block_size) {
    return Fail(ErrorCode::kInvalidArgument, "invalid IV length " + std::to_string(iv.size()) +
                                                 " (expected " + std::to_string(block_size) + ")");
  }
  if (input.size() % block_size != 0) {
    return Fail(ErrorCode::kMalformed, "CBC input length " + std::to_string(input.size()) +
                                           " is not a multiple of the block size " +
                                           std::to_string(block_size));
  }

  internal::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr ||
      EVP_CipherInit_ex(ctx.get(), *evp_cipher, nullptr, AsUChar(key), AsUChar(iv),
                        encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("CBC cipher setup failed"));
  }

  Bytes output(input.size());
  int written = 0;
  int final_written = 0;
  if (EVP_CipherUpdate(ctx.get(), AsUChar(MutableByteView(output)), &written, AsUChar(input),
                       static_cast<int>(input.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), AsUChar(MutableByteView(output)) + written, &final_written) !=
          1 ||
      static_cast<size_t>(written + final_written) != input.size()) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("CBC cipher operation failed"));
  }
  return output;
}

}  // namespace

Result<Bytes> IkeCbcEncrypt(IkeCipher cipher, ByteView key, ByteView iv, ByteView plaintext) {
  return RunCbc(cipher, key, iv, plaintext, /*encrypt=*/true);
}

Result<Bytes> IkeCbcDecrypt(IkeCipher cipher, ByteView key, ByteView iv, ByteView ciphertext) {
  return RunCbc(cipher, key, iv, ciphertext, /*encrypt=*/false);
}

}  // namespace ipop::crypto
