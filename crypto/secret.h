// Key material in a buffer that wipes itself. Move-only, never printable:
// there is no operator<< and no implicit conversion to a byte view, so a key
// reaches a log line only through the explicit key log.
#ifndef IPOP_CRYPTO_SECRET_H_
#define IPOP_CRYPTO_SECRET_H_

#include <cstddef>

#include "base/bytes.h"

namespace ipop::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size);
  // Copies `bytes`; the caller wipes its own copy if it is secret.
  static SecretBytes CopyOf(ByteView bytes);

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  // An explicit copy, so that duplicating a key is visible at the call site.
  SecretBytes Clone() const { return CopyOf(view()); }

  ByteView view() const { return {data_, size_}; }
  MutableByteView mutable_view() { return {data_, size_}; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Appends `more`, reallocating and wiping the old buffer.
  void Append(ByteView more);
  // Shrinks to the first `size` bytes, wiping the tail.
  void Truncate(size_t size);

 private:
  void Wipe();
  std::byte* data_ = nullptr;
  size_t size_ = 0;
};

// Compares in time that depends only on the lengths, for MACs and hashes.
bool ConstantTimeEqual(ByteView a, ByteView b);

// Zeroes a buffer in a way the compiler cannot optimise away.
void Wipe(MutableByteView bytes);

}  // namespace ipop::crypto

#endif  // IPOP_CRYPTO_SECRET_H_
