#ifndef IPOP_CRYPTO_RANDOM_H_
#define IPOP_CRYPTO_RANDOM_H_

#include <cstdint>

#include "base/bytes.h"

namespace ipop::crypto {

// Fills `out` from the system CSPRNG (libsodium).
void RandomBytes(MutableByteView out);
Bytes RandomBytes(size_t size);
uint32_t RandomU32();

}  // namespace ipop::crypto

#endif  // IPOP_CRYPTO_RANDOM_H_
