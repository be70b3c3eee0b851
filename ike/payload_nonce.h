// Nonce payload, RFC 2408 §3.13.
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  ~                            Ni/Nr                              ~
#ifndef IPOP_IKE_PAYLOAD_NONCE_H_
#define IPOP_IKE_PAYLOAD_NONCE_H_

#include "base/bytes.h"
#include "base/error.h"
#include "ike/constants.h"

namespace ipop::ike {

struct NoncePayload {
  static constexpr PayloadType kType = PayloadType::kNonce;

  Bytes data;

  bool operator==(const NoncePayload&) const = default;
};

// Fails unless the nonce has kMinNonceSize to kMaxNonceSize bytes, RFC 2409
// §5, e.g. "nonce too short (7 < 8)" with PAYLOAD-MALFORMED.
Result<NoncePayload> ParseNoncePayload(ByteView body);
Bytes EncodeBody(const NoncePayload& payload);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_NONCE_H_
