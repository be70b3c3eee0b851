#include "tests/support/pcap_file.h"

#include <fstream>
#include <iterator>
#include <optional>

#include "base/byte_reader.h"

namespace ipop::test {
namespace {

// Magic numbers of the pcap global header, as read in the file's byte order
// (tcpdump.org pcap file format).
constexpr uint32_t kMagicMicroseconds = 0xa1b2c3d4;
constexpr uint32_t kMagicNanoseconds = 0xa1b23c4d;
constexpr size_t kGlobalHeaderSize = 24;
constexpr size_t kRecordHeaderSize = 16;

constexpr size_t kEthernetHeaderSize = 14;
constexpr size_t kVlanTagSize = 4;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr size_t kSllHeaderSize = 16;   // protocol type at offset 14
constexpr size_t kSll2HeaderSize = 20;  // protocol type at offset 0

constexpr size_t kIpv4MinHeaderSize = 20;
constexpr uint16_t kIpv4MoreFragments = 0x2000;
constexpr uint16_t kIpv4FragmentOffsetMask = 0x1fff;
constexpr size_t kUdpHeaderSize = 8;
constexpr uint16_t kIkePort = 500;
constexpr uint16_t kNatTraversalPort = 4500;
constexpr size_t kNonEspMarkerSize = 4;  // RFC 3948 §2.2
constexpr size_t kIsakmpHeaderSize = 28;

// Reads a 32-bit field stored in the byte order the magic number revealed.
uint32_t LoadU32InOrder(ByteView at, bool swapped) {
  const uint32_t big_endian = LoadU32(at);
  if (!swapped) {
    return big_endian;
  }
  return ((big_endian & 0xff) << 24) | ((big_endian & 0xff00) << 8) | ((big_endian >> 8) & 0xff00) |
         (big_endian >> 24);
}

// Returns the offset of the IPv4 header in `frame`, or nothing when the frame
// does not carry IPv4.
std::optional<size_t> FindIpv4Offset(uint32_t link_type, ByteView frame) {
  switch (link_type) {
    case kLinkTypeEthernet: {
      size_t offset = kEthernetHeaderSize;
      if (frame.size() < offset) {
        return std::nullopt;
      }
      uint16_t ether_type = LoadU16(frame.subspan(12));
      while (ether_type == kEtherTypeVlan && frame.size() >= offset + kVlanTagSize) {
        ether_type = LoadU16(frame.subspan(offset + 2));
        offset += kVlanTagSize;
      }
      return ether_type == kEtherTypeIpv4 ? std::optional<size_t>(offset) : std::nullopt;
    }
    case kLinkTypeLinuxSll:
      if (frame.size() < kSllHeaderSize || LoadU16(frame.subspan(14)) != kEtherTypeIpv4) {
        return std::nullopt;
      }
      return kSllHeaderSize;
    case kLinkTypeLinuxSll2:
      if (frame.size() < kSll2HeaderSize || LoadU16(frame) != kEtherTypeIpv4) {
        return std::nullopt;
      }
      return kSll2HeaderSize;
    case kLinkTypeRaw:
    case kLinkTypeIpv4:
      if (frame.empty() || (std::to_integer<uint8_t>(frame[0]) >> 4) != 4) {
        return std::nullopt;
      }
      return 0;
    default:
      return std::nullopt;
  }
}

bool IsSupportedLinkType(uint32_t link_type) {
  return link_type == kLinkTypeEthernet || link_type == kLinkTypeRaw || link_type == kLinkTypeLinuxSll ||
         link_type == kLinkTypeIpv4 || link_type == kLinkTypeLinuxSll2;
}

}  // namespace

Result<PcapFile> ReadPcapFile(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return Fail(ErrorCode::kNotFound, "cannot open pcap file " + path);
  }
  const std::vector<char> raw((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  const ByteView data(reinterpret_cast<const std::byte*>(raw.data()), raw.size());
  if (data.size() < kGlobalHeaderSize) {
    return Fail(ErrorCode::kTruncated, "pcap global header truncated in " + path);
  }

  const uint32_t magic = LoadU32(data);
  bool swapped = false;
  bool nanoseconds = false;
  if (magic == kMagicMicroseconds || magic == kMagicNanoseconds) {
    nanoseconds = magic == kMagicNanoseconds;
  } else if (LoadU32InOrder(data, true) == kMagicMicroseconds || LoadU32InOrder(data, true) == kMagicNanoseconds) {
    swapped = true;
    nanoseconds = LoadU32InOrder(data, true) == kMagicNanoseconds;
  } else {
    return Fail(ErrorCode::kUnsupported, "not a classic pcap file (pcapng is not supported): " + path);
  }

  PcapFile file;
  file.link_type = LoadU32InOrder(data.subspan(20), swapped) & 0x0fffffff;
  if (!IsSupportedLinkType(file.link_type)) {
    return Fail(ErrorCode::kUnsupported, "unsupported pcap link type " + std::to_string(file.link_type));
  }

  size_t offset = kGlobalHeaderSize;
  while (offset < data.size()) {
    if (data.size() - offset < kRecordHeaderSize) {
      return Fail(ErrorCode::kTruncated, "pcap record header truncated at offset " + std::to_string(offset));
    }
    const ByteView header = data.subspan(offset, kRecordHeaderSize);
    const uint64_t seconds = LoadU32InOrder(header, swapped);
    const uint64_t fraction = LoadU32InOrder(header.subspan(4), swapped);
    const uint32_t captured_length = LoadU32InOrder(header.subspan(8), swapped);
    offset += kRecordHeaderSize;
    if (data.size() - offset < captured_length) {
      return Fail(ErrorCode::kTruncated, "pcap record data truncated at offset " + std::to_string(offset));
    }

    PcapRecord record;
    record.index = file.records.size();
    record.timestamp_us = seconds * 1'000'000 + (nanoseconds ? fraction / 1000 : fraction);
    record.original_length = LoadU32InOrder(header.subspan(12), swapped);
    const ByteView frame = data.subspan(offset, captured_length);
    record.frame.assign(frame.begin(), frame.end());
    if (const auto ip_offset = FindIpv4Offset(file.link_type, frame)) {
      const ByteView ipv4 = frame.subspan(*ip_offset);
      record.ipv4.assign(ipv4.begin(), ipv4.end());
    }
    file.records.push_back(std::move(record));
    offset += captured_length;
  }
  return file;
}

Result<Ipv4Packet> ParseIpv4Packet(ByteView packet) {
  if (packet.size() < kIpv4MinHeaderSize) {
    return Fail(ErrorCode::kTruncated, "IPv4 header truncated (" + std::to_string(packet.size()) + " bytes)");
  }
  const uint8_t version_ihl = std::to_integer<uint8_t>(packet[0]);
  if ((version_ihl >> 4) != 4) {
    return Fail(ErrorCode::kMalformed, "not an IPv4 packet (version " + std::to_string(version_ihl >> 4) + ")");
  }
  const size_t header_length = static_cast<size_t>(version_ihl & 0x0f) * 4;
  const size_t total_length = LoadU16(packet.subspan(2));
  if (header_length < kIpv4MinHeaderSize || total_length < header_length || total_length > packet.size()) {
    return Fail(ErrorCode::kMalformed, "IPv4 header length " + std::to_string(header_length) +
                                           " or total length " + std::to_string(total_length) +
                                           " does not fit the " + std::to_string(packet.size()) + "-byte packet");
  }

  const uint16_t fragment_field = LoadU16(packet.subspan(6));
  Ipv4Packet parsed;
  parsed.protocol = std::to_integer<uint8_t>(packet[9]);
  parsed.source = Ipv4Address::FromBytes(packet.subspan(12, 4));
  parsed.destination = Ipv4Address::FromBytes(packet.subspan(16, 4));
  parsed.fragment = (fragment_field & (kIpv4MoreFragments | kIpv4FragmentOffsetMask)) != 0;
  parsed.payload = packet.subspan(header_length, total_length - header_length);
  return parsed;
}

Result<UdpDatagram> ParseUdpDatagram(const Ipv4Packet& packet) {
  if (packet.protocol != kIpProtocolUdp) {
    return Fail(ErrorCode::kInvalidArgument, "IPv4 protocol " + std::to_string(packet.protocol) + " is not UDP");
  }
  if (packet.fragment) {
    return Fail(ErrorCode::kUnsupported, "IPv4 fragments are not reassembled");
  }
  if (packet.payload.size() < kUdpHeaderSize) {
    return Fail(ErrorCode::kTruncated, "UDP header truncated");
  }
  const size_t udp_length = LoadU16(packet.payload.subspan(4));
  if (udp_length < kUdpHeaderSize || udp_length > packet.payload.size()) {
    return Fail(ErrorCode::kMalformed, "UDP length " + std::to_string(udp_length) + " does not fit the " +
                                           std::to_string(packet.payload.size()) + "-byte IPv4 payload");
  }
  UdpDatagram datagram;
  datagram.source = Endpoint{packet.source, LoadU16(packet.payload)};
  datagram.destination = Endpoint{packet.destination, LoadU16(packet.payload.subspan(2))};
  datagram.payload = packet.payload.subspan(kUdpHeaderSize, udp_length - kUdpHeaderSize);
  return datagram;
}

namespace {

bool IsIkePort(uint16_t port) { return port == kIkePort || port == kNatTraversalPort; }

bool StartsWithNonEspMarker(ByteView payload) {
  if (payload.size() < kNonEspMarkerSize) {
    return false;
  }
  return LoadU32(payload) == 0;
}

}  // namespace

std::vector<CapturedIkeMessage> ExtractIkeMessages(const PcapFile& file) {
  std::vector<CapturedIkeMessage> messages;
  for (const PcapRecord& record : file.records) {
    const auto ip = ParseIpv4Packet(record.ipv4);
    if (!ip || ip->protocol != kIpProtocolUdp) {
      continue;
    }
    const auto udp = ParseUdpDatagram(*ip);
    if (!udp || !(IsIkePort(udp->source.port) || IsIkePort(udp->destination.port))) {
      continue;
    }
    ByteView payload = udp->payload;
    const bool natt_port = udp->source.port == kNatTraversalPort || udp->destination.port == kNatTraversalPort;
    if (natt_port) {
      // On port 4500 only a zero marker announces IKE; anything else is a
      // keepalive or ESP in UDP (RFC 3948 §2.2, §2.3).
      if (!StartsWithNonEspMarker(payload)) {
        continue;
      }
      payload = payload.subspan(kNonEspMarkerSize);
    }
    if (payload.size() < kIsakmpHeaderSize) {
      continue;
    }
    CapturedIkeMessage message;
    message.record_index = record.index;
    message.timestamp_us = record.timestamp_us;
    message.source = udp->source;
    message.destination = udp->destination;
    message.message.assign(payload.begin(), payload.end());
    messages.push_back(std::move(message));
  }
  return messages;
}

std::vector<CapturedEspPacket> ExtractEspPackets(const PcapFile& file) {
  std::vector<CapturedEspPacket> packets;
  for (const PcapRecord& record : file.records) {
    const auto ip = ParseIpv4Packet(record.ipv4);
    if (!ip || ip->fragment) {
      continue;
    }
    CapturedEspPacket packet;
    packet.record_index = record.index;
    packet.timestamp_us = record.timestamp_us;
    packet.source = ip->source;
    packet.destination = ip->destination;
    ByteView esp;
    if (ip->protocol == kIpProtocolEsp) {
      esp = ip->payload;
    } else if (ip->protocol == kIpProtocolUdp) {
      const auto udp = ParseUdpDatagram(*ip);
      const bool natt_port =
          udp && (udp->source.port == kNatTraversalPort || udp->destination.port == kNatTraversalPort);
      // ESP in UDP starts with a non-zero SPI; a lone 0xff is a keepalive.
      if (!natt_port || udp->payload.size() < kNonEspMarkerSize || StartsWithNonEspMarker(udp->payload)) {
        continue;
      }
      esp = udp->payload;
      packet.udp_encapsulated = true;
    } else {
      continue;
    }
    packet.esp.assign(esp.begin(), esp.end());
    packets.push_back(std::move(packet));
  }
  return packets;
}

}  // namespace ipop::test
