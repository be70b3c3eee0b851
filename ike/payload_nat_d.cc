#include "ike/payload_nat_d.h"

namespace ipop::ike {

Result<NatDPayload> ParseNatDPayload(ByteView body) {
  if (body.empty()) {
    return Fail(ErrorCode::kMalformed, "NAT-D payload is empty", kNotifyPayloadMalformed);
  }
  return NatDPayload{.hash = Bytes(body.begin(), body.end())};
}

Bytes EncodeBody(const NatDPayload& payload) { return payload.hash; }

}  // namespace ipop::ike
