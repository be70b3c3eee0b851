#include "crypto/random.h"

#include <sodium.h>

#include <cstdlib>
#include <mutex>

namespace ipop::crypto {

namespace {

// Runs sodium_init exactly once, whichever thread draws random bytes first.
void EnsureSodiumInitialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      // Without a working CSPRNG no key can be generated safely.
      std::abort();
    }
  });
}

}  // namespace

void RandomBytes(MutableByteView out) {
  EnsureSodiumInitialized();
  if (!out.empty()) {
    randombytes_buf(out.data(), out.size());
  }
}

Bytes RandomBytes(size_t size) {
  Bytes out(size);
  RandomBytes(MutableByteView(out));
  return out;
}

uint32_t RandomU32() {
  EnsureSodiumInitialized();
  return randombytes_random();
}

}  // namespace ipop::crypto
