// Drop reasons of the packet path, returned there instead of Error because
// building an Error's detail string allocates, and a flood of bad packets
// must not cost allocations. Each reason has its own counter in
// DatapathStatistics.
#ifndef IPOP_ESP_DROP_REASON_H_
#define IPOP_ESP_DROP_REASON_H_

#include <cstddef>
#include <cstdint>

namespace ipop::esp {

enum class DropReason : uint8_t {
  // Outbound (read from the TUN device).
  kNotIpv4,            // not an IPv4 packet (IPv6 is not carried yet)
  kNoPolicy,           // no `out` policy matches; only protected ranges are routed to the TUN
  kBypassPolicy,       // the `out` policy is "none", and the TUN never sends clear text
  kDiscardPolicy,      // the `out` policy is "discard"
  kFragment,           // an IPv4 fragment; transport mode protects whole datagrams only
  kTooBig,             // larger than the buffers or 65535 bytes once encapsulated
  kSequenceExhausted,  // the SA sent 2^32-1 packets and has no replacement yet
  kHoldOverflow,       // too many packets already wait for this SA
  kHoldTableFull,      // too many destinations already wait for SAs
  kHoldTimeout,        // no SA appeared in time for a held packet
  kSealFailed,         // the crypto library failed
  kSendFailed,         // the ESP socket refused the packet
  // Inbound (read from the ESP socket).
  kMalformed,          // bad outer IPv4 header or ESP packet too short
  kUnknownSpi,         // no inbound SA for (SPI, destination)
  kReplay,             // duplicate or left of the window (RFC 4303 §3.4.3)
  kIntegrity,          // ICV mismatch
  kBadTrailer,         // pad length or next header inconsistent after decryption
  kBadPadding,         // padding bytes are not 1, 2, 3, ... (RFC 4303 §2.4)
  kDummyPacket,        // next header 59: traffic-flow padding, discarded (RFC 4303 §2.6)
  kInboundPolicy,      // no `in` ipsec policy served by this SA matches the inner packet
  kLifetimeExpired,    // the SA reached its hard byte lifetime
  kWriteFailed,        // the TUN device refused the packet
  kNattInvalid,        // a NAT-T datagram too short for IKE, ESP or a keepalive
  kEncapsulationMismatch,  // ESP in UDP for an SA without UDP encapsulation, or the reverse
  kWrongNextHeader,    // a tunnel-mode SA decrypted something other than IPv4 (next header 4)
  kCount,
};

inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);

// A short snake_case name for counters and logs, e.g. "unknown_spi".
const char* DropReasonName(DropReason reason);

}  // namespace ipop::esp

#endif  // IPOP_ESP_DROP_REASON_H_
