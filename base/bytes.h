// Byte buffer vocabulary shared by every layer.
#ifndef IPOP_BASE_BYTES_H_
#define IPOP_BASE_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ipop {

using Bytes = std::vector<std::byte>;
using ByteView = std::span<const std::byte>;
using MutableByteView = std::span<std::byte>;

// Views a byte sequence as the unsigned char pointer that C libraries expect.
inline const unsigned char* AsUChar(ByteView bytes) {
  return reinterpret_cast<const unsigned char*>(bytes.data());
}
inline unsigned char* AsUChar(MutableByteView bytes) {
  return reinterpret_cast<unsigned char*>(bytes.data());
}

inline ByteView AsBytes(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

inline void Append(Bytes& out, ByteView more) { out.insert(out.end(), more.begin(), more.end()); }

// Formats bytes as lowercase hex without separators ("0a1b").
std::string ToHex(ByteView bytes);

// Parses hex digits, ignoring ASCII white space and an optional "0x" prefix.
// Returns false on an odd digit count or a non-hex character.
bool FromHex(std::string_view text, Bytes& out);

// Parses hex or throws std::invalid_argument; for tests and constants only.
Bytes HexToBytes(std::string_view text);

}  // namespace ipop

#endif  // IPOP_BASE_BYTES_H_
