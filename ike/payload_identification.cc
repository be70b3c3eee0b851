#include "ike/payload_identification.h"

#include <bit>
#include <optional>
#include <string>

#include "base/byte_reader.h"
#include "base/byte_writer.h"

namespace ipop::ike {
namespace {

constexpr size_t kIpv4AddressSize = 4;
constexpr size_t kIpv6AddressSize = 16;

// Data size each address type requires, RFC 2407 §4.6.2.2-§4.6.2.9; nothing
// for the variable-length types.
std::optional<size_t> FixedDataSize(uint8_t id_type) {
  switch (id_type) {
    case kIdIpv4Address:
      return kIpv4AddressSize;
    case kIdIpv4AddressSubnet:
    case kIdIpv4AddressRange:
      return 2 * kIpv4AddressSize;
    case kIdIpv6Address:
      return kIpv6AddressSize;
    case kIdIpv6AddressSubnet:
    case kIdIpv6AddressRange:
      return 2 * kIpv6AddressSize;
    default:
      return std::nullopt;
  }
}

std::unexpected<Error> InvalidId(std::string detail) {
  return Fail(ErrorCode::kMalformed, std::move(detail), kNotifyInvalidIdInformation);
}

}  // namespace

IdentificationPayload IdentificationPayload::FromIpv4Address(Ipv4Address address, uint8_t protocol_id,
                                                             uint16_t port) {
  return IdentificationPayload{
      .id_type = kIdIpv4Address, .protocol_id = protocol_id, .port = port, .data = address.ToBytes()};
}

IdentificationPayload IdentificationPayload::FromIpv4Subnet(const Ipv4Prefix& prefix, uint8_t protocol_id,
                                                            uint16_t port) {
  const uint32_t mask = prefix.Mask();
  Bytes data = Ipv4Address(prefix.address.value() & mask).ToBytes();
  Append(data, Ipv4Address(mask).ToBytes());
  return IdentificationPayload{
      .id_type = kIdIpv4AddressSubnet, .protocol_id = protocol_id, .port = port, .data = std::move(data)};
}

IdentificationPayload IdentificationPayload::FromDerAsn1Dn(Bytes der_name) {
  return IdentificationPayload{.id_type = kIdDerAsn1Dn, .protocol_id = 0, .port = 0, .data = std::move(der_name)};
}

Result<Ipv4Prefix> IdentificationPayload::ToIpv4Prefix() const {
  if (id_type == kIdIpv4Address && data.size() == kIpv4AddressSize) {
    return Ipv4Prefix{Ipv4Address::FromBytes(data), 32};
  }
  if (id_type != kIdIpv4AddressSubnet || data.size() != 2 * kIpv4AddressSize) {
    return InvalidId("ID type " + std::to_string(id_type) + " with " + std::to_string(data.size()) +
                     " bytes is not an IPv4 address or subnet");
  }
  const uint32_t mask = LoadU32(ByteView(data).subspan(kIpv4AddressSize));
  // A contiguous netmask is ones followed by zeros, so its complement is a
  // run of low one bits and adding 1 to it leaves no bit in common.
  const uint32_t host_bits = ~mask;
  if ((host_bits & (host_bits + 1)) != 0) {
    return InvalidId("ID subnet mask " + Ipv4Address(mask).ToString() + " is not contiguous");
  }
  const auto length = static_cast<uint8_t>(32 - std::popcount(host_bits));
  return Ipv4Prefix{Ipv4Address::FromBytes(data), length};
}

Result<IdentificationPayload> ParseIdentificationPayload(ByteView body) {
  ByteReader reader(body);
  IdentificationPayload payload;
  if (!reader.ReadU8(payload.id_type) || !reader.ReadU8(payload.protocol_id) || !reader.ReadU16(payload.port)) {
    return InvalidId("ID payload truncated (" + std::to_string(body.size()) + " < 4 bytes)");
  }
  const ByteView data = reader.Remaining();
  if (const auto fixed = FixedDataSize(payload.id_type); fixed && data.size() != *fixed) {
    return InvalidId("ID type " + std::to_string(payload.id_type) + " needs " + std::to_string(*fixed) +
                     " bytes of data, got " + std::to_string(data.size()));
  }
  if (data.empty()) {
    return InvalidId("ID type " + std::to_string(payload.id_type) + " has no data");
  }
  payload.data.assign(data.begin(), data.end());
  return payload;
}

Bytes EncodeBody(const IdentificationPayload& payload) {
  ByteWriter out;
  out.WriteU8(payload.id_type);
  out.WriteU8(payload.protocol_id);
  out.WriteU16(payload.port);
  out.WriteBytes(payload.data);
  return out.Take();
}

}  // namespace ipop::ike
