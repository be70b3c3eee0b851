#include "esp/ipv4_packet.h"

#include "base/byte_reader.h"

namespace ipop::esp {

std::optional<Ipv4Header> ParseIpv4Header(ByteView packet) {
  ByteReader reader(packet);
  uint8_t version_ihl = 0;
  uint8_t tos = 0;
  uint16_t total_length = 0;
  uint16_t identification = 0;
  uint16_t flags_offset = 0;
  uint8_t ttl = 0;
  uint8_t protocol = 0;
  uint16_t checksum = 0;
  uint32_t source = 0;
  uint32_t destination = 0;
  if (!reader.ReadU8(version_ihl) || !reader.ReadU8(tos) || !reader.ReadU16(total_length) ||
      !reader.ReadU16(identification) || !reader.ReadU16(flags_offset) || !reader.ReadU8(ttl) ||
      !reader.ReadU8(protocol) || !reader.ReadU16(checksum) || !reader.ReadU32(source) ||
      !reader.ReadU32(destination)) {
    return std::nullopt;
  }

  const size_t header_length = static_cast<size_t>(version_ihl & 0x0f) * 4;
  if ((version_ihl >> 4) != kIpv4Version || header_length < kIpv4MinHeaderLength ||
      header_length > packet.size()) {
    return std::nullopt;
  }
  if (total_length < header_length || total_length > packet.size()) {
    return std::nullopt;
  }

  Ipv4Header header;
  header.header_length = header_length;
  header.total_length = total_length;
  header.protocol = protocol;
  header.fragment = (flags_offset & (kIpv4MoreFragments | kIpv4FragmentOffsetMask)) != 0;
  header.first_fragment = (flags_offset & kIpv4FragmentOffsetMask) == 0;
  header.source = Ipv4Address(source);
  header.destination = Ipv4Address(destination);
  return header;
}

uint8_t IpVersion(ByteView packet) {
  return packet.empty() ? 0 : std::to_integer<uint8_t>(packet[0]) >> 4;
}

uint16_t Ipv4HeaderChecksum(ByteView header) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < header.size(); i += 2) {
    sum += LoadU16(header.subspan(i, 2));
  }
  if (header.size() % 2 != 0) {
    sum += static_cast<uint32_t>(std::to_integer<uint8_t>(header.back())) << 8;
  }
  while ((sum >> 16) != 0) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

bool VerifyIpv4Checksum(ByteView header) { return Ipv4HeaderChecksum(header) == 0; }

void RewriteIpv4Header(MutableByteView header, uint16_t total_length, uint8_t protocol) {
  StoreU16(header.subspan(kIpv4TotalLengthOffset, 2), total_length);
  header[kIpv4ProtocolOffset] = static_cast<std::byte>(protocol);
  StoreU16(header.subspan(kIpv4ChecksumOffset, 2), 0);
  StoreU16(header.subspan(kIpv4ChecksumOffset, 2), Ipv4HeaderChecksum(header));
}

FiveTuple ExtractFiveTuple(ByteView packet, const Ipv4Header& header) {
  FiveTuple tuple;
  tuple.source = header.source;
  tuple.destination = header.destination;
  tuple.protocol = header.protocol;
  if (!header.first_fragment) {
    return tuple;
  }

  ByteReader reader(packet.subspan(header.header_length,
                                   header.total_length - header.header_length));
  if (header.protocol == kIpProtocolTcp || header.protocol == kIpProtocolUdp) {
    uint16_t source_port = 0;
    uint16_t destination_port = 0;
    if (reader.ReadU16(source_port) && reader.ReadU16(destination_port)) {
      tuple.source_port = source_port;
      tuple.destination_port = destination_port;
    }
  } else if (header.protocol == kIpProtocolIcmp) {
    uint8_t type = 0;
    uint8_t code = 0;
    if (reader.ReadU8(type) && reader.ReadU8(code)) {
      tuple.source_port = type;
      tuple.destination_port = code;
    }
  }
  return tuple;
}

}  // namespace ipop::esp
