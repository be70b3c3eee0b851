// IPv4 header parsing and rewriting for the ESP packet path (RFC 791). The
// packet path parses with ByteReader and rewrites fields in place with
// StoreU16, so nothing here allocates.
#ifndef IPOP_ESP_IPV4_PACKET_H_
#define IPOP_ESP_IPV4_PACKET_H_

#include <cstddef>
#include <cstdint>

#include <optional>

#include "base/bytes.h"
#include "base/ip_address.h"

namespace ipop::esp {

// RFC 791 §3.1: the header is 5 to 15 32-bit words.
inline constexpr size_t kIpv4MinHeaderLength = 20;
inline constexpr size_t kIpv4MaxHeaderLength = 60;
inline constexpr uint8_t kIpv4Version = 4;
inline constexpr size_t kIpv4MaxPacketLength = 65535;
// Offsets of the fields the packet path rewrites (RFC 791 §3.1).
inline constexpr size_t kIpv4TotalLengthOffset = 2;
inline constexpr size_t kIpv4ProtocolOffset = 9;
inline constexpr size_t kIpv4ChecksumOffset = 10;
// Flags and fragment offset word: MF is bit 13, the offset the low 13 bits.
inline constexpr uint16_t kIpv4MoreFragments = 0x2000;
inline constexpr uint16_t kIpv4FragmentOffsetMask = 0x1fff;

// IANA protocol numbers used by selectors and by ESP (RFC 4303 §2).
inline constexpr uint8_t kIpProtocolIcmp = 1;
inline constexpr uint8_t kIpProtocolTcp = 6;
inline constexpr uint8_t kIpProtocolUdp = 17;
inline constexpr uint8_t kIpProtocolEsp = 50;

struct Ipv4Header {
  size_t header_length = 0;  // bytes, options included
  size_t total_length = 0;   // bytes, from the header; never above the buffer
  uint8_t protocol = 0;
  bool fragment = false;     // MF set or a non-zero fragment offset
  bool first_fragment = true;  // fragment offset zero (also true when unfragmented)
  Ipv4Address source;
  Ipv4Address destination;
};

// Parses and checks the header of `packet`: version 4, header length within
// 20..60 and the buffer, total length at least the header length and at most
// the buffer. Bytes past the total length (link padding) are allowed. The
// checksum is not checked here: see VerifyIpv4Checksum. Returns nullopt on
// any violation; the packet path counts the drop instead of building an
// error message.
std::optional<Ipv4Header> ParseIpv4Header(ByteView packet);
// The version field of the first byte, or 0 for an empty packet.
uint8_t IpVersion(ByteView packet);

// Returns the RFC 1071 one's complement sum over `header`, folded and
// complemented, with the checksum field counted as it is.
uint16_t Ipv4HeaderChecksum(ByteView header);
// True when the checksum field of `header` is correct.
bool VerifyIpv4Checksum(ByteView header);
// Writes total length, protocol and a fresh checksum into `header`.
void RewriteIpv4Header(MutableByteView header, uint16_t total_length, uint8_t protocol);

// The fields a selector matches on. For TCP and UDP the ports are the
// transport ports; for ICMP `source_port` carries the type and
// `destination_port` the code. Other protocols, and fragments after the
// first, carry port 0, which only a selector with "any" port matches.
struct FiveTuple {
  Ipv4Address source;
  Ipv4Address destination;
  uint8_t protocol = 0;
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
};

// Reads the five-tuple of a packet whose header `header` has parsed. The
// ports stay 0 when the transport header is cut short.
FiveTuple ExtractFiveTuple(ByteView packet, const Ipv4Header& header);

}  // namespace ipop::esp

#endif  // IPOP_ESP_IPV4_PACKET_H_
