// Vendor ID payload, RFC 2408 §3.16.
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  ~                           Vendor ID                           ~
#ifndef IPOP_IKE_PAYLOAD_VENDOR_ID_H_
#define IPOP_IKE_PAYLOAD_VENDOR_ID_H_

#include "base/bytes.h"
#include "base/error.h"
#include "ike/constants.h"

namespace ipop::ike {

struct VendorIdPayload {
  static constexpr PayloadType kType = PayloadType::kVendorId;

  Bytes data;

  bool operator==(const VendorIdPayload&) const = default;
};

// Accepts any length, also empty. ike/vendor_ids.h recognises known IDs.
Result<VendorIdPayload> ParseVendorIdPayload(ByteView body);
Bytes EncodeBody(const VendorIdPayload& payload);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_VENDOR_ID_H_
