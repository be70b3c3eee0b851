// NAT-Discovery payload, RFC 3947 §3.2: HASH(CKY-I | CKY-R | IP | Port) with
// the negotiated hash; ike/nat_detection.h computes and compares it.
// The payload type is 20, or 130 with the NAT-T drafts.
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  ~                 HASH of the address and port                  ~
#ifndef IPOP_IKE_PAYLOAD_NAT_D_H_
#define IPOP_IKE_PAYLOAD_NAT_D_H_

#include "base/bytes.h"
#include "base/error.h"
#include "ike/constants.h"

namespace ipop::ike {

struct NatDPayload {
  static constexpr PayloadType kType = PayloadType::kNatD;

  Bytes hash;

  bool operator==(const NatDPayload&) const = default;
};

// Fails when the body is empty. The exchange passes the negotiated type
// (kNatD, or kNatDDraft for the drafts) to MessageBuilder::Add.
Result<NatDPayload> ParseNatDPayload(ByteView body);
Bytes EncodeBody(const NatDPayload& payload);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_NAT_D_H_
