// CBC encryption of IKE message bodies. Input must be a multiple of the block
// size: IKE pads messages itself (RFC 2409 Appendix B).
#ifndef IPOP_CRYPTO_IKE_CIPHER_H_
#define IPOP_CRYPTO_IKE_CIPHER_H_

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/algorithms.h"

namespace ipop::crypto {

Result<Bytes> IkeCbcEncrypt(IkeCipher cipher, ByteView key, ByteView iv, ByteView plaintext);
Result<Bytes> IkeCbcDecrypt(IkeCipher cipher, ByteView key, ByteView iv, ByteView ciphertext);

}  // namespace ipop::crypto

#endif  // IPOP_CRYPTO_IKE_CIPHER_H_
