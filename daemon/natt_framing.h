// Demultiplexing of datagrams on the NAT-T port (RFC 3948 §2). IKE and
// UDP-encapsulated ESP share UDP 4500: an IKE message is preceded by four
// zero bytes (the non-ESP marker, RFC 3948 §2.2), ESP starts with its
// non-zero SPI, and a single 0xFF byte is a NAT keepalive (RFC 3948 §2.3).
#ifndef IPOP_DAEMON_NATT_FRAMING_H_
#define IPOP_DAEMON_NATT_FRAMING_H_

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace ipop::daemon {

inline constexpr uint16_t kIkePort = 500;        // RFC 2408 §2.5.1 (IANA)
inline constexpr uint16_t kNattPort = 4500;      // RFC 3947 §4
inline constexpr size_t kNonEspMarkerLength = 4;  // RFC 3948 §2.2
inline constexpr std::byte kNattKeepalive{0xFF};  // RFC 3948 §2.3

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

// Classifies a datagram received on the NAT-T port. `payload` views
// `datagram`, so it lives as long as the receive buffer.
NattDatagram ClassifyNattDatagram(ByteView datagram);

// Writes the non-ESP marker and then `message` into `out` (replacing its
// contents), as an IKE message sent from the NAT-T port must be framed.
void PrependNonEspMarker(ByteView message, Bytes& out);

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_NATT_FRAMING_H_
