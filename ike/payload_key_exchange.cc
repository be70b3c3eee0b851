#include "ike/payload_key_exchange.h"

namespace ipop::ike {

Result<KeyExchangePayload> ParseKeyExchangePayload(ByteView body) {
  if (body.empty()) {
    return Fail(ErrorCode::kMalformed, "key exchange payload is empty", kNotifyPayloadMalformed);
  }
  return KeyExchangePayload{.public_value = Bytes(body.begin(), body.end())};
}

Bytes EncodeBody(const KeyExchangePayload& payload) { return payload.public_value; }

}  // namespace ipop::ike
