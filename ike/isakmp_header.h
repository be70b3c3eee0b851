// The fixed ISAKMP header, RFC 2408 §3.1:
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  !                          Initiator                            !
//  !                            Cookie                             !
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  !                          Responder                            !
//  !                            Cookie                             !
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  !  Next Payload ! MjVer ! MnVer ! Exchange Type !     Flags     !
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  !                          Message ID                           !
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  !                            Length                             !
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#ifndef IPOP_IKE_ISAKMP_HEADER_H_
#define IPOP_IKE_ISAKMP_HEADER_H_

#include <cstdint>

#include "base/byte_writer.h"
#include "base/bytes.h"
#include "base/error.h"
#include "ike/constants.h"

namespace ipop::ike {

struct IsakmpHeader {
  Cookie initiator_cookie{};
  Cookie responder_cookie{};
  PayloadType next_payload = PayloadType::kNone;
  uint8_t major_version = kIsakmpMajorVersion;
  uint8_t minor_version = kIsakmpMinorVersion;
  ExchangeType exchange_type = ExchangeType::kNone;
  uint8_t flags = 0;
  uint32_t message_id = 0;
  uint32_t length = 0;  // whole message including this header

  bool encrypted() const { return (flags & kFlagEncryption) != 0; }
  bool operator==(const IsakmpHeader&) const = default;
};

// Parses the first 28 bytes of `datagram` and checks them against the whole
// datagram, in this order: header fits, major version 1 and minor version 0
// (INVALID-MAJOR/MINOR-VERSION), exchange type known (INVALID-EXCHANGE-TYPE),
// undefined flag bits zero (INVALID-FLAGS), initiator cookie non-zero
// (INVALID-COOKIE), length at least the header size and at most
// kMaxMessageSize, and length equal to the datagram size
// (UNEQUAL-PAYLOAD-LENGTHS). The error carries that notify type.
Result<IsakmpHeader> ParseIsakmpHeader(ByteView datagram);

// Appends the 28 header bytes as they are, length included.
void EncodeIsakmpHeader(const IsakmpHeader& header, ByteWriter& out);

bool IsKnownExchangeType(ExchangeType type);

}  // namespace ipop::ike

#endif  // IPOP_IKE_ISAKMP_HEADER_H_
