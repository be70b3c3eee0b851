// ESP in transport mode for IPv4 (RFC 4303 §3.1.1): the original IP header
// stays in front, the ESP header and IV follow it, and the upper-layer
// payload is encrypted together with the trailer:
//
//   | IPv4 header (20..60, options kept) | SPI (4) | Sequence (4) | IV |
//   | payload | padding 1,2,3.. | pad length (1) | next header (1) | ICV |
//
// Both directions work on buffers the caller owns; nothing here allocates.
//
// Fragments: transport mode applies to whole datagrams only (RFC 4303
// §3.3.4), so EncapsulateTransport rejects an IPv4 fragment. Inbound ESP
// fragmented on the way arrives whole, because Linux reassembles in
// ip_local_deliver (net/ipv4/ip_input.c) before raw sockets get the packet.
// ParseEspPacket still rejects a fragment.
//
// MTU: transport mode adds EspOverhead bytes and no IP header. A TUN MTU of
// the link MTU minus kMaxEspTransportOverhead (73 bytes: 1427 on a 1500-byte
// link) makes every packet the kernel routes into the TUN fit the link once
// encapsulated. Datagrams larger than the TUN MTU reach us as fragments and
// are dropped (DropReason::kFragment).
#ifndef IPOP_ESP_ESP_TRANSPORT_H_
#define IPOP_ESP_ESP_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <expected>

#include "base/bytes.h"
#include "esp/drop_reason.h"
#include "esp/ipv4_packet.h"
#include "esp/sad.h"

namespace ipop::esp {

// RFC 4303 §2: SPI and sequence number.
inline constexpr size_t kEspHeaderLength = 8;
// RFC 4303 §2.4: pad length and next header.
inline constexpr size_t kEspTrailerLength = 2;
// The largest IV (AES-CBC, RFC 3602), cipher block (AES) and ICV
// (HMAC-SHA-512-256, RFC 4868 §2.1) this build supports.
inline constexpr size_t kMaxEspIvLength = 16;
inline constexpr size_t kMaxEspBlockSize = 16;
inline constexpr size_t kMaxEspIcvLength = 32;
// ESP header + IV + at most block-1 padding bytes + trailer + ICV.
inline constexpr size_t kMaxEspTransportOverhead = kEspHeaderLength + kMaxEspIvLength +
                                                   (kMaxEspBlockSize - 1) + kEspTrailerLength +
                                                   kMaxEspIcvLength;

// Returns the TUN MTU that leaves room for the worst-case ESP overhead on a
// link of `link_mtu` bytes (1427 for 1500).
constexpr size_t TunMtuForLinkMtu(size_t link_mtu) {
  return link_mtu > kMaxEspTransportOverhead + kIpv4MinHeaderLength
             ? link_mtu - kMaxEspTransportOverhead
             : kIpv4MinHeaderLength;
}
static_assert(TunMtuForLinkMtu(1500) == 1427);

// Returns how many bytes transport mode adds to an upper-layer payload of
// `payload_length` bytes under `crypto`.
size_t EspOverhead(const crypto::EspCrypto& crypto, size_t payload_length);

// Returns the length of the ESP part (header, IV, encrypted payload with
// padding and trailer, ICV) for a payload of `payload_length` bytes.
size_t EspLength(const crypto::EspCrypto& crypto, size_t payload_length);

// Writes the ESP part for `payload` into the first EspLength bytes of `out`:
// SPI and the SA's next sequence number, IV, the encrypted payload with the
// padding and trailer of RFC 4303 §2.4 (`next_header` in the trailer), and
// the ICV. Shared by transport and tunnel mode. Does not count the packet.
std::expected<void, DropReason> SealEspPayload(ByteView payload, uint8_t next_header,
                                               SecurityAssociation& sa, size_t worker,
                                               MutableByteView out);

// Parses the header of a packet read from the TUN device for
// encapsulation. Fails with kNotIpv4 or kMalformed.
std::expected<Ipv4Header, DropReason> ParseOutgoingPacket(ByteView inner);

// Writes the ESP form of the IPv4 packet `inner` into `out`, using the next
// sequence number of the outbound SA `sa` and its crypto context for
// `worker`. Returns the length written. `inner` is not modified.
std::expected<size_t, DropReason> EncapsulateTransport(ByteView inner, SecurityAssociation& sa,
                                                       size_t worker, MutableByteView out);

// The outer fields of a received ESP packet, read before any SA lookup.
struct EspPacketInfo {
  Ipv4Header outer;
  uint32_t spi = 0;
  uint32_t sequence = 0;
};

// Parses the IPv4 header and the ESP header. Fails with kMalformed when the
// header is invalid, the protocol is not 50, the packet is a fragment or
// there is no room for SPI and sequence number.
std::expected<EspPacketInfo, DropReason> ParseEspPacket(ByteView packet);

// The decrypted content of an ESP packet, inside the caller's buffer.
struct OpenedEsp {
  MutableByteView payload;  // without padding and trailer
  uint8_t next_header = 0;
};

// Checks and opens the ESP part of `packet` (the IPv4 packet `info` was
// parsed from) in place: length checks, replay check, ICV check and
// decryption, replay commit, then the trailer and padding checks. Shared by
// transport and tunnel mode. Drops dummy packets (next header 59).
std::expected<OpenedEsp, DropReason> OpenEspPayload(const EspPacketInfo& info,
                                                    SecurityAssociation& sa, size_t worker,
                                                    MutableByteView packet);

// Processes a packet received under the inbound SA `sa` in place: replay
// check, ICV check and decryption, replay commit, trailer and padding checks,
// then rewrites the IPv4 header (protocol = next header, total length,
// checksum) and moves it to sit right before the payload. Returns the view
// of the rebuilt inner packet inside `packet`. Updates the SA's counters.
// The inbound policy check is the caller's (it needs the SPD).
std::expected<MutableByteView, DropReason> DecapsulateTransport(const EspPacketInfo& info,
                                                                SecurityAssociation& sa,
                                                                size_t worker,
                                                                MutableByteView packet);

}  // namespace ipop::esp

#endif  // IPOP_ESP_ESP_TRANSPORT_H_
