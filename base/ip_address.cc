#include "base/ip_address.h"

#include <arpa/inet.h>

namespace ipop {

std::optional<Ipv4Address> Ipv4Address::Parse(std::string_view text) {
  const std::string copy(text);
  in_addr parsed{};
  if (inet_pton(AF_INET, copy.c_str(), &parsed) != 1) {
    return std::nullopt;
  }
  return Ipv4Address(ntohl(parsed.s_addr));
}

Ipv4Address Ipv4Address::FromBytes(ByteView four_bytes) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) {
    value = (value << 8) | std::to_integer<uint32_t>(four_bytes[i]);
  }
  return Ipv4Address(value);
}

std::string Ipv4Address::ToString() const {
  return std::to_string(value_ >> 24) + "." + std::to_string((value_ >> 16) & 0xff) + "." +
         std::to_string((value_ >> 8) & 0xff) + "." + std::to_string(value_ & 0xff);
}

Bytes Ipv4Address::ToBytes() const {
  return {static_cast<std::byte>(value_ >> 24), static_cast<std::byte>(value_ >> 16),
          static_cast<std::byte>(value_ >> 8), static_cast<std::byte>(value_)};
}

uint32_t Ipv4Prefix::Mask() const {
  return length == 0 ? 0 : ~uint32_t{0} << (32 - length);
}

bool Ipv4Prefix::Contains(Ipv4Address other) const {
  return (other.value() & Mask()) == (address.value() & Mask());
}

std::string Ipv4Prefix::ToString() const {
  return Ipv4Address(address.value() & Mask()).ToString() + "/" + std::to_string(length);
}

std::string Endpoint::ToString() const {
  return address.ToString() + "[" + std::to_string(port) + "]";
}

}  // namespace ipop
