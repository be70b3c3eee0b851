#include "base/byte_writer.h"

#include "base/byte_reader.h"

namespace ipop {

void ByteWriter::WriteU16(uint16_t value) {
  WriteU8(static_cast<uint8_t>(value >> 8));
  WriteU8(static_cast<uint8_t>(value));
}

void ByteWriter::WriteU32(uint32_t value) {
  WriteU16(static_cast<uint16_t>(value >> 16));
  WriteU16(static_cast<uint16_t>(value));
}

size_t ByteWriter::ReserveU16() {
  const size_t offset = out_.size();
  WriteU16(0);
  return offset;
}

void ByteWriter::PatchU16(size_t offset, uint16_t value) {
  StoreU16(MutableByteView(out_).subspan(offset, 2), value);
}

void ByteWriter::PatchU32(size_t offset, uint32_t value) {
  StoreU32(MutableByteView(out_).subspan(offset, 4), value);
}

}  // namespace ipop
