// NAT Original Address payload, RFC 3947 §5.1 (type 21, or 131 with the
// NAT-T drafts): the address a peer behind a NAT sees as its own, sent in
// Quick Mode so that transport mode can fix the inner checksums.
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  !    ID Type    !   RESERVED    !            RESERVED           !
//  ~           IPv4 (4 octets) or IPv6 address (16 octets)         ~
#ifndef IPOP_IKE_PAYLOAD_NAT_OA_H_
#define IPOP_IKE_PAYLOAD_NAT_OA_H_

#include <cstdint>

#include "base/bytes.h"
#include "base/error.h"
#include "base/ip_address.h"
#include "ike/constants.h"

namespace ipop::ike {

struct NatOaPayload {
  static constexpr PayloadType kType = PayloadType::kNatOa;

  uint8_t id_type = kIdIpv4Address;  // ID_IPV4_ADDR or ID_IPV6_ADDR
  Bytes address;                     // 4 or 16 bytes

  static NatOaPayload FromIpv4(Ipv4Address address);
  bool operator==(const NatOaPayload&) const = default;
};

// Fails with PAYLOAD-MALFORMED when the reserved bytes are not zero, the ID
// type is neither ID_IPV4_ADDR nor ID_IPV6_ADDR, or the address length does
// not match the type.
Result<NatOaPayload> ParseNatOaPayload(ByteView body);
Bytes EncodeBody(const NatOaPayload& payload);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_NAT_OA_H_
