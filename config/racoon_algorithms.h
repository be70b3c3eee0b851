// racoon.conf algorithm and group names mapped to crypto/ identifiers. Names
// that racoon accepts but ipop-espd does not implement are rejected with
// "not supported yet"; other names get a "did you mean" suggestion.
#ifndef IPOP_CONFIG_RACOON_ALGORITHMS_H_
#define IPOP_CONFIG_RACOON_ALGORITHMS_H_

#include <cstddef>

#include "config/racoon_lexer.h"
#include "config/runtime_config.h"
#include "crypto/algorithms.h"

namespace ipop::config {

struct IkeCipherChoice {
  crypto::IkeCipher cipher;
  size_t key_bits;  // 128 or 256 for AES (128 when none is given, as racoon does); 0 for 3DES
};

struct EspCipherChoice {
  crypto::EspCipher cipher;
  size_t key_bits;  // 0 when the name has no key length after it
};

// `key_bits` is the number token after the name, or nullptr.
IkeCipherChoice ReadIkeCipher(const Token& name, const Token* key_bits);
crypto::HashAlgorithm ReadIkeHash(const Token& name, const Token* key_bits);
AuthMethod ReadAuthMethod(const Token& name, const Token* key_bits);
// A group name (modp1024) or number (2).
crypto::DhGroup ReadDhGroup(const Token& group);
EspCipherChoice ReadEspCipher(const Token& name, const Token* key_bits);
crypto::EspIntegrity ReadEspIntegrity(const Token& name, const Token* key_bits);
// Accepts "deflate"; racoon's other names (lzs, oui) are rejected.
void ReadCompression(const Token& name, const Token* key_bits);

}  // namespace ipop::config

#endif  // IPOP_CONFIG_RACOON_ALGORITHMS_H_
