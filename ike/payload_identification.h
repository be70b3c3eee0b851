// Identification payload, RFC 2408 §3.8 with the IPsec DOI fields of
// RFC 2407 §4.6.2:
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  !   ID Type     !  Protocol ID  !             Port              !
//  ~                     Identification Data                       ~
//
// In phase 1 protocol and port are usually 0 or UDP/500 (RFC 2407 §4.6.2);
// in Quick Mode IDci/IDcr carry the traffic selector (RFC 2409 §5.5).
#ifndef IPOP_IKE_PAYLOAD_IDENTIFICATION_H_
#define IPOP_IKE_PAYLOAD_IDENTIFICATION_H_

#include <cstdint>

#include "base/bytes.h"
#include "base/error.h"
#include "base/ip_address.h"
#include "ike/constants.h"

namespace ipop::ike {

struct IdentificationPayload {
  static constexpr PayloadType kType = PayloadType::kIdentification;

  uint8_t id_type = 0;
  uint8_t protocol_id = 0;  // IP protocol number, 0 for any
  uint16_t port = 0;        // 0 for any
  Bytes data;

  // ID_IPV4_ADDR with the 4 address bytes.
  static IdentificationPayload FromIpv4Address(Ipv4Address address, uint8_t protocol_id = 0,
                                               uint16_t port = 0);
  // ID_IPV4_ADDR_SUBNET with address and netmask, RFC 2407 §4.6.2.5.
  static IdentificationPayload FromIpv4Subnet(const Ipv4Prefix& prefix, uint8_t protocol_id = 0,
                                              uint16_t port = 0);
  // ID_DER_ASN1_DN with a DER-encoded Name, RFC 2407 §4.6.2.10.
  static IdentificationPayload FromDerAsn1Dn(Bytes der_name);

  // Returns the selector as a prefix: a /32 for ID_IPV4_ADDR, the address
  // and mask for ID_IPV4_ADDR_SUBNET. Fails with INVALID-ID-INFORMATION for
  // other types and for a netmask whose one bits are not contiguous.
  Result<Ipv4Prefix> ToIpv4Prefix() const;

  bool operator==(const IdentificationPayload&) const = default;
};

// Parses the body. Fails with INVALID-ID-INFORMATION when the body is
// shorter than 4 bytes, when ID_IPV4_ADDR data is not 4 bytes or
// ID_IPV4_ADDR_SUBNET / ID_IPV4_ADDR_RANGE data not 8, or when a string or DN
// type has no data. Other types are kept as raw data.
Result<IdentificationPayload> ParseIdentificationPayload(ByteView body);
Bytes EncodeBody(const IdentificationPayload& payload);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_IDENTIFICATION_H_
