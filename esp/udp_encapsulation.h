// UDP encapsulation of ESP (RFC 3948): the framing of datagrams on the
// NAT-T port, which IKE and ESP share, and the checksum fix-up that
// transport mode needs after a NAT rewrote the outer addresses.
#ifndef IPOP_ESP_UDP_ENCAPSULATION_H_
#define IPOP_ESP_UDP_ENCAPSULATION_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/ip_address.h"
#include "esp/ipv4_packet.h"

namespace ipop::esp {

inline constexpr uint16_t kNattPort = 4500;        // RFC 3947 §4
inline constexpr size_t kNonEspMarkerLength = 4;   // RFC 3948 §2.2
inline constexpr std::byte kNattKeepalive{0xFF};   // RFC 3948 §2.3
// RFC 3948 §2.1: the SPI and sequence number must follow the UDP header,
// and an SPI of zero is the non-ESP marker, so ESP needs at least 8 bytes.
inline constexpr size_t kMinEspInUdpLength = 8;

enum class NattDatagramKind {
  kIke,        // `payload` is the ISAKMP message without the marker
  kEsp,        // `payload` is the ESP packet from its SPI on
  kKeepalive,  // nothing to deliver
  kInvalid,    // too short to be any of the above
};

struct NattDatagram {
  NattDatagramKind kind = NattDatagramKind::kInvalid;
  ByteView payload;
};

// Classifies a datagram received on the NAT-T port by its first bytes
// (RFC 3948 §2.2 and §2.3). `payload` views `datagram`.
NattDatagram ClassifyNattDatagram(ByteView datagram);

// Writes a 20-byte IPv4 header for an ESP packet of `esp_length` bytes
// received in UDP from `source` to `destination`. ESP-in-UDP then takes the
// same decapsulation path as ESP from the raw socket, because RFC 3948 §3.2
// removes the UDP header and keeps the outer addresses. `header` must be at
// least kIpv4MinHeaderLength bytes long.
void WriteEspHeaderForUdp(MutableByteView header, Ipv4Address source, Ipv4Address destination,
                          size_t esp_length);

// Fixes the TCP or UDP checksum of a decapsulated transport-mode packet
// whose outer addresses a NAT rewrote (RFC 3948 §3.1.2). With both
// original addresses (from NAT-OA) the checksum is updated incrementally
// (RFC 1624 eqn. 3) from the original to the present addresses. When one is
// missing, the checksum is recomputed over the packet as it is now, which
// RFC 3948 §3.1.2 allows in transport mode because the ESP ICV has already
// authenticated the payload. A UDP checksum of zero (none, RFC 768) stays
// zero. Other protocols, fragments and packets too short for their
// transport header are left unchanged. Returns true if the packet changed.
bool FixTransportChecksum(MutableByteView packet, const Ipv4Header& header,
                          std::optional<Ipv4Address> original_source,
                          std::optional<Ipv4Address> original_destination);

}  // namespace ipop::esp

#endif  // IPOP_ESP_UDP_ENCAPSULATION_H_
