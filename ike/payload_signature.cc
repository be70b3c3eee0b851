#include "ike/payload_signature.h"

namespace ipop::ike {

Result<SignaturePayload> ParseSignaturePayload(ByteView body) {
  if (body.empty()) {
    return Fail(ErrorCode::kMalformed, "signature payload is empty", kNotifyPayloadMalformed);
  }
  return SignaturePayload{.data = Bytes(body.begin(), body.end())};
}

Bytes EncodeBody(const SignaturePayload& payload) { return payload.data; }

}  // namespace ipop::ike
