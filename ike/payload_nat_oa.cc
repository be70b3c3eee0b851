#include "ike/payload_nat_oa.h"

#include <string>

#include "base/byte_reader.h"
#include "base/byte_writer.h"

namespace ipop::ike {
namespace {

constexpr size_t kIpv4AddressSize = 4;
constexpr size_t kIpv6AddressSize = 16;

}  // namespace

NatOaPayload NatOaPayload::FromIpv4(Ipv4Address address) {
  return NatOaPayload{.id_type = kIdIpv4Address, .address = address.ToBytes()};
}

Result<NatOaPayload> ParseNatOaPayload(ByteView body) {
  ByteReader reader(body);
  NatOaPayload payload;
  uint8_t reserved = 0;
  uint16_t reserved2 = 0;
  if (!reader.ReadU8(payload.id_type) || !reader.ReadU8(reserved) || !reader.ReadU16(reserved2)) {
    return Fail(ErrorCode::kMalformed, "NAT-OA payload truncated (" + std::to_string(body.size()) + " < 4 bytes)",
                kNotifyPayloadMalformed);
  }
  if (reserved != 0 || reserved2 != 0) {
    return Fail(ErrorCode::kMalformed, "NAT-OA RESERVED fields are not zero", kNotifyPayloadMalformed);
  }
  size_t expected = 0;
  if (payload.id_type == kIdIpv4Address) {
    expected = kIpv4AddressSize;
  } else if (payload.id_type == kIdIpv6Address) {
    expected = kIpv6AddressSize;
  } else {
    return Fail(ErrorCode::kMalformed, "NAT-OA ID type " + std::to_string(payload.id_type) + " is not an address",
                kNotifyPayloadMalformed);
  }
  if (reader.remaining_size() != expected) {
    return Fail(ErrorCode::kMalformed,
                "NAT-OA address has " + std::to_string(reader.remaining_size()) + " bytes, expected " +
                    std::to_string(expected),
                kNotifyPayloadMalformed);
  }
  const ByteView address = reader.Remaining();
  payload.address.assign(address.begin(), address.end());
  return payload;
}

Bytes EncodeBody(const NatOaPayload& payload) {
  ByteWriter out;
  out.WriteU8(payload.id_type);
  out.WriteU8(0);
  out.WriteU16(0);
  out.WriteBytes(payload.address);
  return out.Take();
}

}  // namespace ipop::ike
