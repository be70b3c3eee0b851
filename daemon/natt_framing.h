// Demultiplexing of datagrams on the NAT-T port (RFC 3948 §2). IKE and
// UDP-encapsulated ESP share UDP 4500: an IKE message is preceded by four
// zero bytes (the non-ESP marker, RFC 3948 §2.2), ESP starts with its
// non-zero SPI, and a single 0xFF byte is a NAT keepalive (RFC 3948 §2.3).
// The classification lives in esp/udp_encapsulation.h because the packet
// workers read the NAT-T socket when the userspace datapath runs.
#ifndef IPOP_DAEMON_NATT_FRAMING_H_
#define IPOP_DAEMON_NATT_FRAMING_H_

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "esp/udp_encapsulation.h"

namespace ipop::daemon {

inline constexpr uint16_t kIkePort = 500;  // RFC 2408 §2.5.1 (IANA)
using esp::kNattKeepalive;
using esp::kNattPort;
using esp::kNonEspMarkerLength;

using esp::ClassifyNattDatagram;
using esp::NattDatagram;
using esp::NattDatagramKind;

// Writes the non-ESP marker and then `message` into `out` (replacing its
// contents), as an IKE message sent from the NAT-T port must be framed.
void PrependNonEspMarker(ByteView message, Bytes& out);

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_NATT_FRAMING_H_
