// Signature payload, RFC 2408 §3.12: SIG_I/SIG_R, the RSA signature over
// HASH_I/HASH_R in Main Mode with signatures (RFC 2409 §5.1).
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  ~                         Signature Data                        ~
#ifndef IPOP_IKE_PAYLOAD_SIGNATURE_H_
#define IPOP_IKE_PAYLOAD_SIGNATURE_H_

#include "base/bytes.h"
#include "base/error.h"
#include "ike/constants.h"

namespace ipop::ike {

struct SignaturePayload {
  static constexpr PayloadType kType = PayloadType::kSignature;

  Bytes data;

  bool operator==(const SignaturePayload&) const = default;
};

// Fails when the body is empty.
Result<SignaturePayload> ParseSignaturePayload(ByteView body);
Bytes EncodeBody(const SignaturePayload& payload);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_SIGNATURE_H_
