// Big-endian appends to a growable buffer, for building IKE messages. The
// packet path writes into preallocated buffers with StoreU16/StoreU32 instead.
#ifndef IPOP_BASE_BYTE_WRITER_H_
#define IPOP_BASE_BYTE_WRITER_H_

#include <cstdint>

#include "base/bytes.h"

namespace ipop {

class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(Bytes initial) : out_(std::move(initial)) {}

  void WriteU8(uint8_t value) { out_.push_back(static_cast<std::byte>(value)); }
  void WriteU16(uint16_t value);
  void WriteU32(uint32_t value);
  void WriteBytes(ByteView bytes) { Append(out_, bytes); }
  void WriteZeros(size_t count) { out_.insert(out_.end(), count, std::byte{0}); }

  // Reserves a 16-bit field to fill in later with PatchU16, e.g. a length
  // known only after the body is written. Returns its offset.
  size_t ReserveU16();
  void PatchU16(size_t offset, uint16_t value);
  void PatchU32(size_t offset, uint32_t value);

  size_t size() const { return out_.size(); }
  const Bytes& bytes() const { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

}  // namespace ipop

#endif  // IPOP_BASE_BYTE_WRITER_H_
