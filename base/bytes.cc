#include "base/bytes.h"

#include <stdexcept>

namespace ipop {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

std::string ToHex(ByteView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::byte b : bytes) {
    const auto value = std::to_integer<unsigned>(b);
    out.push_back(kDigits[value >> 4]);
    out.push_back(kDigits[value & 0xf]);
  }
  return out;
}

bool FromHex(std::string_view text, Bytes& out) {
  if (text.starts_with("0x") || text.starts_with("0X")) {
    text.remove_prefix(2);
  }
  out.clear();
  int high = -1;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      continue;
    }
    const int value = HexValue(c);
    if (value < 0) {
      return false;
    }
    if (high < 0) {
      high = value;
    } else {
      out.push_back(static_cast<std::byte>((high << 4) | value));
      high = -1;
    }
  }
  return high < 0;
}

Bytes HexToBytes(std::string_view text) {
  Bytes out;
  if (!FromHex(text, out)) {
    throw std::invalid_argument("invalid hex string");
  }
  return out;
}

}  // namespace ipop
