// Key Exchange payload, RFC 2408 §3.7: the body is the Diffie-Hellman public
// value g^x mod p, big-endian and left-padded with zeros to the group's prime
// size (RFC 2409 §5). Checking the size against the negotiated group is the
// exchange's job.
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  ~                       Key Exchange Data                       ~
#ifndef IPOP_IKE_PAYLOAD_KEY_EXCHANGE_H_
#define IPOP_IKE_PAYLOAD_KEY_EXCHANGE_H_

#include "base/bytes.h"
#include "base/error.h"
#include "ike/constants.h"

namespace ipop::ike {

struct KeyExchangePayload {
  static constexpr PayloadType kType = PayloadType::kKeyExchange;

  Bytes public_value;

  bool operator==(const KeyExchangePayload&) const = default;
};

// Fails when the body is empty.
Result<KeyExchangePayload> ParseKeyExchangePayload(ByteView body);
Bytes EncodeBody(const KeyExchangePayload& payload);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_KEY_EXCHANGE_H_
