#include "crypto/secret.h"

#include <sodium.h>

#include <cstring>
#include <utility>

namespace ipop::crypto {

SecretBytes::SecretBytes(size_t size) : data_(size ? new std::byte[size]() : nullptr), size_(size) {}

SecretBytes SecretBytes::CopyOf(ByteView bytes) {
  SecretBytes out(bytes.size());
  if (!bytes.empty()) {
    std::memcpy(out.data_, bytes.data(), bytes.size());
  }
  return out;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() { Wipe(); }

void SecretBytes::Append(ByteView more) {
  SecretBytes grown(size_ + more.size());
  if (size_ != 0) {
    std::memcpy(grown.data_, data_, size_);
  }
  if (!more.empty()) {
    std::memcpy(grown.data_ + size_, more.data(), more.size());
  }
  *this = std::move(grown);
}

void SecretBytes::Truncate(size_t size) {
  if (size >= size_) {
    return;
  }
  *this = CopyOf(view().first(size));
}

void SecretBytes::Wipe() {
  if (data_ != nullptr) {
    sodium_memzero(data_, size_);
    delete[] data_;
    data_ = nullptr;
    size_ = 0;
  }
}

bool ConstantTimeEqual(ByteView a, ByteView b) {
  if (a.size() != b.size()) {
    return false;
  }
  if (a.empty()) {
    return true;
  }
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

void Wipe(MutableByteView bytes) {
  if (!bytes.empty()) {
    sodium_memzero(bytes.data(), bytes.size());
  }
}

}  // namespace ipop::crypto
