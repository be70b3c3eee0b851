// Bounds-checked big-endian reads over a byte span. Every read either
// succeeds and advances, or fails and leaves the cursor where it was, so a
// parser can check a whole field before it consumes anything.
#ifndef IPOP_BASE_BYTE_READER_H_
#define IPOP_BASE_BYTE_READER_H_

#include <cstdint>

#include "base/bytes.h"

namespace ipop {

class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  [[nodiscard]] bool ReadU8(uint8_t& value);
  [[nodiscard]] bool ReadU16(uint16_t& value);
  [[nodiscard]] bool ReadU32(uint32_t& value);
  [[nodiscard]] bool ReadU64(uint64_t& value);
  // Takes the next `length` bytes as a view into the underlying buffer.
  [[nodiscard]] bool ReadBytes(size_t length, ByteView& value);
  // Takes the next `length` bytes as a reader of their own, for a
  // length-prefixed structure.
  [[nodiscard]] bool ReadSubReader(size_t length, ByteReader& value);
  [[nodiscard]] bool Skip(size_t length);

  // Returns the unread bytes without consuming them.
  ByteView Remaining() const { return data_.subspan(offset_); }
  size_t remaining_size() const { return data_.size() - offset_; }
  size_t offset() const { return offset_; }
  bool empty() const { return offset_ == data_.size(); }

 private:
  ByteView data_;
  size_t offset_ = 0;
};

// Big-endian loads and stores on spans whose size the caller has checked.
uint16_t LoadU16(ByteView at);
uint32_t LoadU32(ByteView at);
void StoreU16(MutableByteView at, uint16_t value);
void StoreU32(MutableByteView at, uint32_t value);

}  // namespace ipop

#endif  // IPOP_BASE_BYTE_READER_H_
