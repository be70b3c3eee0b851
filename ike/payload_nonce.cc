#include "ike/payload_nonce.h"

#include <string>

namespace ipop::ike {

Result<NoncePayload> ParseNoncePayload(ByteView body) {
  if (body.size() < kMinNonceSize) {
    return Fail(ErrorCode::kMalformed,
                "nonce too short (" + std::to_string(body.size()) + " < " + std::to_string(kMinNonceSize) + ")",
                kNotifyPayloadMalformed);
  }
  if (body.size() > kMaxNonceSize) {
    return Fail(ErrorCode::kMalformed,
                "nonce too long (" + std::to_string(body.size()) + " > " + std::to_string(kMaxNonceSize) + ")",
                kNotifyPayloadMalformed);
  }
  return NoncePayload{.data = Bytes(body.begin(), body.end())};
}

Bytes EncodeBody(const NoncePayload& payload) { return payload.data; }

}  // namespace ipop::ike
