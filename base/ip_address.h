// IPv4 addresses and endpoints. IPv6 is not supported yet
// (docs/LIMITATIONS.md); types that carry addresses go through these so that
// adding it later touches one place.
#ifndef IPOP_BASE_IP_ADDRESS_H_
#define IPOP_BASE_IP_ADDRESS_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace ipop {

class Ipv4Address {
 public:
  constexpr Ipv4Address() = default;
  // `value` in host byte order: 10.0.0.1 is 0x0a000001.
  constexpr explicit Ipv4Address(uint32_t value) : value_(value) {}
  static std::optional<Ipv4Address> Parse(std::string_view text);
  // Reads 4 bytes in network order.
  static Ipv4Address FromBytes(ByteView four_bytes);

  constexpr uint32_t value() const { return value_; }
  std::string ToString() const;
  // 4 bytes in network order, as ID payloads and NAT-D hashes use it.
  Bytes ToBytes() const;

  auto operator<=>(const Ipv4Address&) const = default;

 private:
  uint32_t value_ = 0;
};

struct Ipv4Prefix {
  Ipv4Address address;
  uint8_t length = 32;

  // Masks `length` bits; "192.168.1.0/16" contains 192.168.0.0/16 as setkey
  // reads it.
  bool Contains(Ipv4Address other) const;
  uint32_t Mask() const;
  std::string ToString() const;  // "192.168.0.0/16"
  auto operator<=>(const Ipv4Prefix&) const = default;
};

struct Endpoint {
  Ipv4Address address;
  uint16_t port = 0;

  // racoon's form: "10.0.0.1[500]".
  std::string ToString() const;
  auto operator<=>(const Endpoint&) const = default;
};

}  // namespace ipop

#endif  // IPOP_BASE_IP_ADDRESS_H_
