// Hash payload, RFC 2408 §3.11: HASH_I/HASH_R in Main Mode with pre-shared
// keys and HASH(1)-(3) in Quick Mode (RFC 2409 §5.4, §5.5).
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  ~                           Hash Data                           ~
#ifndef IPOP_IKE_PAYLOAD_HASH_H_
#define IPOP_IKE_PAYLOAD_HASH_H_

#include "base/bytes.h"
#include "base/error.h"
#include "ike/constants.h"

namespace ipop::ike {

struct HashPayload {
  static constexpr PayloadType kType = PayloadType::kHash;

  Bytes data;

  bool operator==(const HashPayload&) const = default;
};

// Accepts any length, also empty; the exchange compares it with the
// negotiated hash length.
Result<HashPayload> ParseHashPayload(ByteView body);
Bytes EncodeBody(const HashPayload& payload);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_HASH_H_
