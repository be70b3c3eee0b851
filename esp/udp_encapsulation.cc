#include "esp/udp_encapsulation.h"

#include <algorithm>

#include "base/byte_reader.h"

namespace ipop::esp {
namespace {

// RFC 793 §3.1 and RFC 768: where each checksum sits, and the shortest
// header that contains it.
constexpr size_t kTcpChecksumOffset = 16;
constexpr size_t kTcpMinHeaderLength = 20;
constexpr size_t kUdpChecksumOffset = 6;
constexpr size_t kUdpHeaderLength = 8;

// Fields of the synthetic header (RFC 791 §3.1).
constexpr std::byte kVersionAndIhl{0x45};
constexpr std::byte kDefaultTtl{64};
constexpr size_t kTtlOffset = 8;
constexpr size_t kSourceOffset = 12;
constexpr size_t kDestinationOffset = 16;

uint32_t AddWords(uint32_t sum, ByteView data) {
  for (size_t i = 0; i + 1 < data.size(); i += 2) {
    sum += LoadU16(data.subspan(i, 2));
  }
  if (data.size() % 2 != 0) {
    sum += static_cast<uint32_t>(std::to_integer<uint8_t>(data.back())) << 8;
  }
  return sum;
}

uint32_t AddAddress(uint32_t sum, Ipv4Address address) {
  return sum + (address.value() >> 16) + (address.value() & 0xffff);
}

uint16_t Fold(uint32_t sum) {
  while ((sum >> 16) != 0) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(sum);
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for each changed 16-bit word.
uint16_t UpdateChecksum(uint16_t checksum, Ipv4Address old_address, Ipv4Address new_address) {
  uint32_t sum = static_cast<uint16_t>(~checksum);
  sum += static_cast<uint16_t>(~(old_address.value() >> 16));
  sum += static_cast<uint16_t>(~(old_address.value() & 0xffff));
  sum = AddAddress(sum, new_address);
  return static_cast<uint16_t>(~Fold(sum));
}

// The RFC 793 §3.1 / RFC 768 checksum over the pseudo-header and `segment`,
// whose checksum field the caller has set to zero.
uint16_t ComputeChecksum(const Ipv4Header& header, ByteView segment) {
  uint32_t sum = 0;
  sum = AddAddress(sum, header.source);
  sum = AddAddress(sum, header.destination);
  sum += header.protocol;
  sum += static_cast<uint32_t>(segment.size());
  sum = AddWords(sum, segment);
  return static_cast<uint16_t>(~Fold(sum));
}

}  // namespace

NattDatagram ClassifyNattDatagram(ByteView datagram) {
  if (datagram.size() == 1 && datagram[0] == kNattKeepalive) {
    return {NattDatagramKind::kKeepalive, {}};
  }
  if (datagram.size() < kNonEspMarkerLength) {
    return {NattDatagramKind::kInvalid, {}};
  }
  const bool has_marker = std::all_of(datagram.begin(), datagram.begin() + kNonEspMarkerLength,
                                      [](std::byte b) { return b == std::byte{0}; });
  if (has_marker) {
    return {NattDatagramKind::kIke, datagram.subspan(kNonEspMarkerLength)};
  }
  if (datagram.size() < kMinEspInUdpLength) {
    return {NattDatagramKind::kInvalid, {}};
  }
  return {NattDatagramKind::kEsp, datagram};
}

void WriteEspHeaderForUdp(MutableByteView header, Ipv4Address source, Ipv4Address destination,
                          size_t esp_length) {
  std::fill(header.begin(), header.begin() + kIpv4MinHeaderLength, std::byte{0});
  header[0] = kVersionAndIhl;
  header[kTtlOffset] = kDefaultTtl;
  StoreU32(header.subspan(kSourceOffset, 4), source.value());
  StoreU32(header.subspan(kDestinationOffset, 4), destination.value());
  RewriteIpv4Header(header.first(kIpv4MinHeaderLength),
                    static_cast<uint16_t>(kIpv4MinHeaderLength + esp_length), kIpProtocolEsp);
}

bool FixTransportChecksum(MutableByteView packet, const Ipv4Header& header,
                          std::optional<Ipv4Address> original_source,
                          std::optional<Ipv4Address> original_destination) {
  size_t checksum_offset = 0;
  size_t min_length = 0;
  if (header.protocol == kIpProtocolTcp) {
    checksum_offset = kTcpChecksumOffset;
    min_length = kTcpMinHeaderLength;
  } else if (header.protocol == kIpProtocolUdp) {
    checksum_offset = kUdpChecksumOffset;
    min_length = kUdpHeaderLength;
  } else {
    return false;
  }
  // A fragment does not contain the whole segment the checksum covers.
  if (header.fragment || header.total_length < header.header_length + min_length) {
    return false;
  }

  MutableByteView segment =
      packet.subspan(header.header_length, header.total_length - header.header_length);
  MutableByteView field = segment.subspan(checksum_offset, 2);
  const uint16_t received = LoadU16(field);
  const bool udp = header.protocol == kIpProtocolUdp;
  if (udp && received == 0) {
    return false;
  }

  uint16_t fixed = 0;
  if (original_source && original_destination) {
    fixed = UpdateChecksum(received, *original_source, header.source);
    fixed = UpdateChecksum(fixed, *original_destination, header.destination);
  } else {
    StoreU16(field, 0);
    fixed = ComputeChecksum(header, segment);
  }
  // RFC 768: a computed UDP checksum of zero is sent as all ones, because
  // zero means "no checksum".
  if (udp && fixed == 0) {
    fixed = 0xffff;
  }
  StoreU16(field, fixed);
  return fixed != received;
}

}  // namespace ipop::esp
