#include "daemon/natt_framing.h"

#include <algorithm>

namespace ipop::daemon {

namespace {

// An ESP header holds at least the SPI and the sequence number
// (RFC 4303 §2); anything shorter that is not a keepalive is garbage.
constexpr size_t kMinEspLength = 8;

}  // namespace

NattDatagram ClassifyNattDatagram(ByteView datagram) {
  if (datagram.size() == 1 && datagram[0] == kNattKeepalive) {
    return {NattDatagramKind::kKeepalive, {}};
  }
  if (datagram.size() < kNonEspMarkerLength) {
    return {NattDatagramKind::kInvalid, {}};
  }
  const bool has_marker = std::all_of(datagram.begin(), datagram.begin() + kNonEspMarkerLength,
                                      [](std::byte b) { return b == std::byte{0}; });
  if (has_marker) {
    return {NattDatagramKind::kIke, datagram.subspan(kNonEspMarkerLength)};
  }
  if (datagram.size() < kMinEspLength) {
    return {NattDatagramKind::kInvalid, {}};
  }
  return {NattDatagramKind::kEsp, datagram};
}

void PrependNonEspMarker(ByteView message, Bytes& out) {
  out.assign(kNonEspMarkerLength, std::byte{0});
  Append(out, message);
}

}  // namespace ipop::daemon
