#include "ike/payload_hash.h"

namespace ipop::ike {

Result<HashPayload> ParseHashPayload(ByteView body) { return HashPayload{.data = Bytes(body.begin(), body.end())}; }

Bytes EncodeBody(const HashPayload& payload) { return payload.data; }

}  // namespace ipop::ike
