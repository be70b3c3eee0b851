// ESP in tunnel mode for IPv4 (RFC 4303 §3.1.2): a new outer IPv4 header
// between the SA's tunnel endpoints, then the ESP header and IV, and the
// whole inner packet encrypted together with the trailer, whose next header
// is 4 (IPv4):
//
//   | outer IPv4 header (20) | SPI (4) | Sequence (4) | IV |
//   | inner IPv4 packet | padding 1,2,3.. | pad length (1) | next header 4 | ICV |
//
// Unlike transport mode, tunnel mode may carry IPv4 fragments (RFC 4303
// §3.3.4), because the inner packet travels whole.
//
// MTU: tunnel mode adds the outer header to the transport-mode overhead,
// kMaxEspTunnelOverhead bytes in the worst case (93).
#ifndef IPOP_ESP_ESP_TUNNEL_H_
#define IPOP_ESP_ESP_TUNNEL_H_

#include <cstddef>
#include <cstdint>
#include <expected>

#include "base/bytes.h"
#include "esp/drop_reason.h"
#include "esp/esp_transport.h"
#include "esp/sad.h"

namespace ipop::esp {

// IANA protocol number of IPv4 carried in IP, the next header of a tunnel
// packet (RFC 4303 §2.6, RFC 2003 §3).
inline constexpr uint8_t kIpProtocolIpv4InIp = 4;
// TTL of the outer header; RFC 4301 §5.1.2.1 leaves it to the
// encapsulating host, and 64 is the Linux default.
inline constexpr uint8_t kTunnelOuterTtl = 64;
inline constexpr size_t kMaxEspTunnelOverhead = kIpv4MinHeaderLength + kMaxEspTransportOverhead;

// Writes the tunnel-mode ESP packet for the IPv4 packet `inner` under the
// outbound SA `sa` into `out` and returns its length. The outer header runs
// from the SA's source to its destination with protocol 50. It copies the
// inner TOS byte (DSCP and ECN, the normal mode of RFC 6040 §4.2) and the DF
// flag, and takes its identification from the ESP sequence number.
std::expected<size_t, DropReason> EncapsulateTunnel(ByteView inner, SecurityAssociation& sa,
                                                    size_t worker, MutableByteView out);

// Opens a packet received under the inbound tunnel-mode SA `sa` in place and
// returns the view of the inner IPv4 packet inside `packet`. Fails with
// kWrongNextHeader unless the next header is 4, and with kMalformed when the
// decrypted payload is not one whole IPv4 packet. The inbound policy check
// of the inner packet is the caller's (it needs the SPD).
std::expected<MutableByteView, DropReason> DecapsulateTunnel(const EspPacketInfo& info,
                                                             SecurityAssociation& sa,
                                                             size_t worker,
                                                             MutableByteView packet);

}  // namespace ipop::esp

#endif  // IPOP_ESP_ESP_TUNNEL_H_
