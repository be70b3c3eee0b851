#include "esp/esp_tunnel.h"

#include <algorithm>
#include <optional>

#include "base/byte_reader.h"
#include "esp/ipv4_packet.h"

namespace ipop::esp {
namespace {

// RFC 791 §3.1 field offsets of the outer header built here.
constexpr size_t kIpv4TosOffset = 1;
constexpr size_t kIpv4IdentificationOffset = 4;
constexpr size_t kIpv4FlagsOffset = 6;
constexpr size_t kIpv4TtlOffset = 8;
constexpr size_t kIpv4SourceOffset = 12;
constexpr size_t kIpv4DestinationOffset = 16;
constexpr uint16_t kIpv4DontFragment = 0x4000;
// Version 4 and a header length of 5 words: an outer header has no options.
constexpr std::byte kIpv4VersionAndMinHeaderLength{0x45};

// Writes the fixed fields of the outer header; RewriteIpv4Header adds total
// length, protocol and checksum afterwards.
void WriteOuterHeader(ByteView inner, const SecurityAssociation& sa, uint32_t sequence,
                      MutableByteView outer) {
  std::fill(outer.begin(), outer.end(), std::byte{0});
  outer[0] = kIpv4VersionAndMinHeaderLength;
  outer[kIpv4TosOffset] = inner[kIpv4TosOffset];
  StoreU16(outer.subspan(kIpv4IdentificationOffset, 2), static_cast<uint16_t>(sequence));
  const uint16_t inner_flags = LoadU16(inner.subspan(kIpv4FlagsOffset, 2));
  StoreU16(outer.subspan(kIpv4FlagsOffset, 2), inner_flags & kIpv4DontFragment);
  outer[kIpv4TtlOffset] = std::byte{kTunnelOuterTtl};
  StoreU32(outer.subspan(kIpv4SourceOffset, 4), sa.config().source.value());
  StoreU32(outer.subspan(kIpv4DestinationOffset, 4), sa.config().destination.value());
}

}  // namespace

std::expected<size_t, DropReason> EncapsulateTunnel(ByteView inner, SecurityAssociation& sa,
                                                    size_t worker, MutableByteView out) {
  const std::expected<Ipv4Header, DropReason> header = ParseOutgoingPacket(inner);
  if (!header) {
    return std::unexpected(header.error());
  }

  const ByteView packet = inner.first(header->total_length);
  const size_t total_length = kIpv4MinHeaderLength + EspLength(sa.crypto(worker), packet.size());
  if (total_length > kIpv4MaxPacketLength || total_length > out.size()) {
    return std::unexpected(DropReason::kTooBig);
  }

  auto sealed = SealEspPayload(packet, kIpProtocolIpv4InIp, sa, worker,
                               out.subspan(kIpv4MinHeaderLength));
  if (!sealed) {
    return std::unexpected(sealed.error());
  }
  // The sequence number is in the ESP header now; the outer header reuses
  // its low 16 bits as identification, unique per SA until it wraps.
  const uint32_t sequence = LoadU32(out.subspan(kIpv4MinHeaderLength + 4, 4));
  MutableByteView outer = out.first(kIpv4MinHeaderLength);
  WriteOuterHeader(packet, sa, sequence, outer);
  RewriteIpv4Header(outer, static_cast<uint16_t>(total_length), kIpProtocolEsp);
  sa.CountPacket(packet.size());
  return total_length;
}

std::expected<MutableByteView, DropReason> DecapsulateTunnel(const EspPacketInfo& info,
                                                             SecurityAssociation& sa,
                                                             size_t worker,
                                                             MutableByteView packet) {
  auto opened = OpenEspPayload(info, sa, worker, packet);
  if (!opened) {
    return std::unexpected(opened.error());
  }
  if (opened->next_header != kIpProtocolIpv4InIp) {
    return std::unexpected(DropReason::kWrongNextHeader);
  }
  // The inner packet must fill the payload exactly: extra bytes would be
  // data the ICV covered but nobody reads.
  const std::optional<Ipv4Header> inner = ParseIpv4Header(opened->payload);
  if (!inner || inner->total_length != opened->payload.size()) {
    return std::unexpected(DropReason::kMalformed);
  }
  sa.CountPacket(opened->payload.size());
  return opened->payload;
}

}  // namespace ipop::esp
