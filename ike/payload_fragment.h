// IKE fragment payload of the IKEv1 fragmentation scheme that racoon
// (ipsec-tools 0.8), strongSwan (5.9) and Cisco share. No RFC defines it:
// a peer announces it with the "FRAGMENTATION" vendor ID (vendor_ids.h),
// and private payload type 132 then carries one piece of a whole ISAKMP
// message, its header included. The receiver joins the pieces in fragment
// number order and handles the result as if it had arrived in one datagram.
//
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  !          Fragment ID          !  Fragment Num !     Flags     !
//  ~                         Fragment Data                         ~
//
// A fragment datagram is an ISAKMP header (the cookies and exchange type of
// the message it carries, message ID 0, no E flag) followed by exactly one
// fragment payload. Fragment numbers start at 1; flag 0x01 marks the last.
#ifndef IPOP_IKE_PAYLOAD_FRAGMENT_H_
#define IPOP_IKE_PAYLOAD_FRAGMENT_H_

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "ike/constants.h"
#include "ike/isakmp_header.h"

namespace ipop::ike {

// Fragment ID, number and flags after the generic payload header.
inline constexpr size_t kFragmentHeaderSize = 4;
inline constexpr uint8_t kFragmentFlagLast = 0x01;

// Largest fragment datagram we send, ISAKMP header included: 576 bytes, the
// IPv4 datagram every host must accept (RFC 791 §3.1), less the IPv4 header
// (20), the UDP header (8) and the non-ESP marker of port 4500 (4, RFC 3948
// §2.2). Larger phase 1 messages are split when fragmentation is on.
inline constexpr size_t kMaxFragmentDatagramSize = 576 - 20 - 8 - 4;

struct FragmentPayload {
  static constexpr PayloadType kType = PayloadType::kFragment;

  uint16_t fragment_id = 0;
  uint8_t number = 0;
  bool last = false;
  Bytes data;

  bool operator==(const FragmentPayload&) const = default;
};

// Parses the body after the generic header. Fails on a truncated header, a
// fragment number of 0, flag bits other than kFragmentFlagLast, or no data.
Result<FragmentPayload> ParseFragmentPayload(ByteView body);
Bytes EncodeBody(const FragmentPayload& payload);

// A received fragment datagram: its header and its one payload.
struct FragmentMessage {
  IsakmpHeader header;
  FragmentPayload fragment;
};

// Returns true when `datagram` starts with an ISAKMP header whose first
// payload is a fragment. Such a datagram goes to ParseFragmentMessage, not
// to ParseMessage, because the E flag of some senders' fragment headers
// would make ParseMessage treat the payload as ciphertext.
bool IsFragmentDatagram(ByteView datagram);

// Parses a fragment datagram. The header is checked as ParseIsakmpHeader
// does, except that the E flag is ignored; the fragment payload must be the
// only payload and end where the header length says the message ends.
Result<FragmentMessage> ParseFragmentMessage(ByteView datagram);

// Splits the whole ISAKMP message `message` into fragment datagrams of at
// most `max_datagram_size` bytes, numbered from 1, all with `fragment_id`.
// Returns an empty vector when the message cannot be split into at most
// 255 fragments (the number field has 8 bits) or `max_datagram_size`
// leaves no room for data.
std::vector<Bytes> SplitIntoFragments(ByteView message, uint16_t fragment_id, size_t max_datagram_size);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_FRAGMENT_H_
