// Delete payload, RFC 2408 §3.15:
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  !              Domain of Interpretation  (DOI)                  !
//  !  Protocol-Id  !   SPI Size    !           # of SPIs           !
//  ~               Security Parameter Index(es) (SPI)              ~
//
// An ISAKMP SA is named by its cookie pair (SPI size 16); ESP SAs by their
// 4-byte SPIs, as the deleting side received them.
#ifndef IPOP_IKE_PAYLOAD_DELETE_H_
#define IPOP_IKE_PAYLOAD_DELETE_H_

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "ike/constants.h"

namespace ipop::ike {

struct DeletePayload {
  static constexpr PayloadType kType = PayloadType::kDelete;

  uint32_t doi = kDoiIpsec;
  uint8_t protocol_id = kProtocolEsp;
  uint8_t spi_size = kSpiSizeEsp;
  std::vector<Bytes> spis;  // each spi_size bytes

  bool operator==(const DeletePayload&) const = default;
};

// Fails with PAYLOAD-MALFORMED unless the body holds exactly
// "# of SPIs" SPIs of "SPI Size" bytes, and when there are none.
Result<DeletePayload> ParseDeletePayload(ByteView body);
// Encodes the SPIs; every one must have spi_size bytes (asserted).
Bytes EncodeBody(const DeletePayload& payload);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_DELETE_H_
