#include "ike/payload_vendor_id.h"

namespace ipop::ike {

Result<VendorIdPayload> ParseVendorIdPayload(ByteView body) {
  return VendorIdPayload{.data = Bytes(body.begin(), body.end())};
}

Bytes EncodeBody(const VendorIdPayload& payload) { return payload.data; }

}  // namespace ipop::ike
