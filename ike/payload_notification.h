// Notification payload, RFC 2408 §3.14:
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  !              Domain of Interpretation  (DOI)                  !
//  !  Protocol-ID  !   SPI Size    !      Notify Message Type      !
//  ~                Security Parameter Index (SPI)                 ~
//  ~                       Notification Data                       ~
//
// A phase 1 notify names the ISAKMP SA by both cookies (SPI size 16) or by
// none; RESPONDER-LIFETIME (RFC 2407 §4.6.3.1) and DPD (RFC 3706 §5) carry
// data after the SPI.
#ifndef IPOP_IKE_PAYLOAD_NOTIFICATION_H_
#define IPOP_IKE_PAYLOAD_NOTIFICATION_H_

#include <cstdint>

#include "base/bytes.h"
#include "base/error.h"
#include "ike/constants.h"

namespace ipop::ike {

struct NotificationPayload {
  static constexpr PayloadType kType = PayloadType::kNotification;

  uint32_t doi = kDoiIpsec;
  uint8_t protocol_id = kProtocolIsakmp;
  uint16_t notify_type = 0;
  Bytes spi;
  Bytes data;

  bool operator==(const NotificationPayload&) const = default;
};

// Fails with PAYLOAD-MALFORMED when the fixed 8 bytes or the SPI do not fit.
// The DOI is kept as received: some peers send 0 in phase 1 notifies.
Result<NotificationPayload> ParseNotificationPayload(ByteView body);
Bytes EncodeBody(const NotificationPayload& payload);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_NOTIFICATION_H_
