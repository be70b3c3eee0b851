#include "daemon/natt_framing.h"

namespace ipop::daemon {

void PrependNonEspMarker(ByteView message, Bytes& out) {
  out.assign(kNonEspMarkerLength, std::byte{0});
  Append(out, message);
}

}  // namespace ipop::daemon
