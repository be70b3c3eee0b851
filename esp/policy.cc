#include "esp/policy.h"

namespace ipop::esp {

bool Selector::Matches(Ipv4Address src, Ipv4Address dst, uint8_t proto, uint16_t sport,
                       uint16_t dport) const {
  if (!source.Contains(src) || !destination.Contains(dst)) {
    return false;
  }
  if (protocol != kAnyProtocol && protocol != proto) {
    return false;
  }
  if (source_port != kAnyPort && source_port != sport) {
    return false;
  }
  return destination_port == kAnyPort || destination_port == dport;
}

const char* PolicyDirectionName(PolicyDirection direction) {
  switch (direction) {
    case PolicyDirection::kIn:
      return "in";
    case PolicyDirection::kOut:
      return "out";
    case PolicyDirection::kFwd:
      return "fwd";
  }
  return "?";
}

}  // namespace ipop::esp
