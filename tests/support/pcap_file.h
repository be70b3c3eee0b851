// Reads classic libpcap capture files (not pcapng) for tests, and splits the
// IPv4, UDP and ESP layers of the captured packets. Supports the link types
// Ethernet (1), raw IPv4 (101, 228), Linux cooked capture SLL (113) and
// SLL2 (276), in either byte order, with microsecond or nanosecond stamps.
// NOTE: the SLL2 and VLAN-tagged Ethernet paths have no test yet.
#ifndef IPOP_TESTS_SUPPORT_PCAP_FILE_H_
#define IPOP_TESTS_SUPPORT_PCAP_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "base/ip_address.h"

namespace ipop::test {

// Link-layer header types from the tcpdump.org LINKTYPE registry.
inline constexpr uint32_t kLinkTypeEthernet = 1;
inline constexpr uint32_t kLinkTypeRaw = 101;
inline constexpr uint32_t kLinkTypeLinuxSll = 113;
inline constexpr uint32_t kLinkTypeIpv4 = 228;
inline constexpr uint32_t kLinkTypeLinuxSll2 = 276;

inline constexpr uint8_t kIpProtocolUdp = 17;
inline constexpr uint8_t kIpProtocolEsp = 50;

struct PcapRecord {
  size_t index = 0;             // position in the file, counting from 0
  uint64_t timestamp_us = 0;    // microseconds since the Unix epoch
  uint32_t original_length = 0; // length on the wire, before any snaplen cut
  Bytes frame;                  // captured bytes including the link header
  // The IPv4 packet inside the frame with the link header removed, or empty
  // when the frame carries something else (ARP, IPv6).
  Bytes ipv4;
};

struct PcapFile {
  uint32_t link_type = 0;
  std::vector<PcapRecord> records;
};

// Reads the whole file. Fails on a missing file, an unknown magic number, an
// unsupported link type or a truncated record.
Result<PcapFile> ReadPcapFile(const std::string& path);

struct Ipv4Packet {
  Ipv4Address source;
  Ipv4Address destination;
  uint8_t protocol = 0;
  // True for a fragment (MF set or offset non-zero); the payload is then only
  // part of the upper-layer datagram.
  bool fragment = false;
  ByteView payload;  // the bytes after the IPv4 header, up to total length
};

// Parses an IPv4 header, including options, and checks the total length
// against the buffer.
Result<Ipv4Packet> ParseIpv4Packet(ByteView packet);

struct UdpDatagram {
  Endpoint source;
  Endpoint destination;
  ByteView payload;  // the bytes after the 8-byte UDP header, up to its length
};

// Parses the UDP header in an unfragmented IPv4 packet whose protocol is 17.
Result<UdpDatagram> ParseUdpDatagram(const Ipv4Packet& packet);

// One ISAKMP message found in a capture.
struct CapturedIkeMessage {
  size_t record_index = 0;
  uint64_t timestamp_us = 0;
  Endpoint source;
  Endpoint destination;
  // The ISAKMP message. On port 4500 the 4-byte zero non-ESP marker
  // (RFC 3948 §2.2) is already removed.
  Bytes message;
};

// Returns every ISAKMP message sent to or from UDP port 500 or 4500, in
// capture order. NAT-keepalives (a single 0xff byte, RFC 3948 §2.3) and ESP
// in UDP are skipped.
std::vector<CapturedIkeMessage> ExtractIkeMessages(const PcapFile& file);

// One ESP packet found in a capture, carried either directly in IPv4
// (protocol 50) or in UDP on port 4500.
struct CapturedEspPacket {
  size_t record_index = 0;
  uint64_t timestamp_us = 0;
  Ipv4Address source;
  Ipv4Address destination;
  bool udp_encapsulated = false;
  Bytes esp;  // starting with the SPI
};

std::vector<CapturedEspPacket> ExtractEspPackets(const PcapFile& file);

}  // namespace ipop::test

#endif  // IPOP_TESTS_SUPPORT_PCAP_FILE_H_
