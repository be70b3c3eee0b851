// Checks on the R-U-THERE and R-U-THERE-ACK notify payloads of Dead Peer
// Detection (RFC 3706 §5). The probing itself is part of the engine
// (ike/dpd.cc).
#ifndef IPOP_IKE_DPD_H_
#define IPOP_IKE_DPD_H_

#include <cstdint>
#include <optional>

#include "ike/constants.h"
#include "ike/payload_notification.h"

namespace ipop::ike {

// Returns the sequence number in the Notification Data, or nullopt when the
// data is not exactly 4 bytes.
std::optional<uint32_t> ReadDpdSequence(const NotificationPayload& notification);

// Returns true when the SPI field names the ISAKMP SA with these cookies.
// RFC 3706 §5 puts CKY-I|CKY-R there. Both orders are accepted because some
// IKEv1 peers send the two cookies reversed in the ACK.
bool DpdNotifyNamesSa(const NotificationPayload& notification, const Cookie& cookie_i, const Cookie& cookie_r);

}  // namespace ipop::ike

#endif  // IPOP_IKE_DPD_H_
