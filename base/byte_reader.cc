#include "base/byte_reader.h"

namespace ipop {

bool ByteReader::ReadU8(uint8_t& value) {
  if (remaining_size() < 1) {
    return false;
  }
  value = std::to_integer<uint8_t>(data_[offset_]);
  offset_ += 1;
  return true;
}

bool ByteReader::ReadU16(uint16_t& value) {
  if (remaining_size() < 2) {
    return false;
  }
  value = LoadU16(data_.subspan(offset_, 2));
  offset_ += 2;
  return true;
}

bool ByteReader::ReadU32(uint32_t& value) {
  if (remaining_size() < 4) {
    return false;
  }
  value = LoadU32(data_.subspan(offset_, 4));
  offset_ += 4;
  return true;
}

bool ByteReader::ReadU64(uint64_t& value) {
  if (remaining_size() < 8) {
    return false;
  }
  const uint64_t high = LoadU32(data_.subspan(offset_, 4));
  const uint64_t low = LoadU32(data_.subspan(offset_ + 4, 4));
  value = (high << 32) | low;
  offset_ += 8;
  return true;
}

bool ByteReader::ReadBytes(size_t length, ByteView& value) {
  if (remaining_size() < length) {
    return false;
  }
  value = data_.subspan(offset_, length);
  offset_ += length;
  return true;
}

bool ByteReader::ReadSubReader(size_t length, ByteReader& value) {
  ByteView bytes;
  if (!ReadBytes(length, bytes)) {
    return false;
  }
  value = ByteReader(bytes);
  return true;
}

bool ByteReader::Skip(size_t length) {
  ByteView ignored;
  return ReadBytes(length, ignored);
}

uint16_t LoadU16(ByteView at) {
  return static_cast<uint16_t>((std::to_integer<unsigned>(at[0]) << 8) |
                               std::to_integer<unsigned>(at[1]));
}

uint32_t LoadU32(ByteView at) {
  return (std::to_integer<uint32_t>(at[0]) << 24) | (std::to_integer<uint32_t>(at[1]) << 16) |
         (std::to_integer<uint32_t>(at[2]) << 8) | std::to_integer<uint32_t>(at[3]);
}

void StoreU16(MutableByteView at, uint16_t value) {
  at[0] = static_cast<std::byte>(value >> 8);
  at[1] = static_cast<std::byte>(value);
}

void StoreU32(MutableByteView at, uint32_t value) {
  at[0] = static_cast<std::byte>(value >> 24);
  at[1] = static_cast<std::byte>(value >> 16);
  at[2] = static_cast<std::byte>(value >> 8);
  at[3] = static_cast<std::byte>(value);
}

}  // namespace ipop
