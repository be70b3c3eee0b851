// Security Association payload with its nested Proposal and Transform
// payloads and data attributes, RFC 2408 §3.3-§3.6 and RFC 2407 §4.6.1.
//
// SA payload body (after the generic header), IPsec DOI:
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  !              Domain of Interpretation (IPsec = 1)             !
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  !                   Situation (SIT_IDENTITY_ONLY)               !
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  ~                Proposal payloads (next payload 2 or 0)        ~
//
// Proposal payload:
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  !  Proposal #   !  Protocol-Id  !    SPI Size   !# of Transforms!
//  ~                        SPI (variable)                         ~
//  ~                Transform payloads (next payload 3 or 0)       ~
//
// Transform payload:
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  !  Transform #  !  Transform-Id !           RESERVED2           !
//  ~                        SA Attributes                          ~
//
// Data attribute, basic form (AF = 1) and variable form (AF = 0):
//  !1!       Attribute Type        !        Attribute Value        !
//  !0!       Attribute Type        !        Attribute Length       !
//  ~                   Attribute Value (variable)                  ~
//
// Proposals that share a proposal number are one offer to be taken together
// (AND, e.g. ESP with IPComp); proposals with different numbers are
// alternatives (OR), RFC 2408 §4.2. This file is a codec only: choosing a
// proposal is the exchange's job.
#ifndef IPOP_IKE_PAYLOAD_SA_H_
#define IPOP_IKE_PAYLOAD_SA_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "ike/constants.h"

namespace ipop::ike {

struct DataAttribute {
  uint16_t type = 0;  // without the AF bit
  bool basic = true;  // true: TV form with a 16-bit value; false: TLV form
  uint16_t basic_value = 0;
  Bytes variable_value;

  static DataAttribute Basic(uint16_t type, uint16_t value);
  static DataAttribute Variable(uint16_t type, Bytes value);
  // Returns the value as an integer: the basic value, or a variable value of
  // 1 to 8 bytes in network order (life durations above 65535 use that form,
  // RFC 2409 Appendix A). Returns nothing for longer or empty values.
  std::optional<uint64_t> AsInteger() const;

  bool operator==(const DataAttribute&) const = default;
};

struct Transform {
  uint8_t number = 1;
  uint8_t transform_id = 0;
  std::vector<DataAttribute> attributes;

  // Returns the first attribute of `type`, or nullptr.
  const DataAttribute* Find(uint16_t type) const;
  bool operator==(const Transform&) const = default;
};

struct Proposal {
  uint8_t number = 1;
  uint8_t protocol_id = 0;
  Bytes spi;  // empty for ISAKMP in Main Mode, 4 bytes for ESP
  std::vector<Transform> transforms;

  bool operator==(const Proposal&) const = default;
};

struct SaPayload {
  static constexpr PayloadType kType = PayloadType::kSa;

  uint32_t doi = kDoiIpsec;
  uint32_t situation = kSituationIdentityOnly;
  std::vector<Proposal> proposals;

  bool operator==(const SaPayload&) const = default;
};

// Parses an SA payload body. Fails with DOI-NOT-SUPPORTED for a DOI other
// than IPsec. Fails with SITUATION-NOT-SUPPORTED for a situation other than
// SIT_IDENTITY_ONLY, because the secrecy and integrity situations add
// labelled-domain fields this codec does not read. Fails with
// BAD-PROPOSAL-SYNTAX for any structural error: truncation, non-zero RESERVED
// fields, a next payload other than 2/0 (proposals) or 3/0 (transforms), a
// transform count that does not match, or a length that does not match its
// content.
Result<SaPayload> ParseSaPayload(ByteView body);
Bytes EncodeBody(const SaPayload& payload);

// Parses a body that holds only data attributes, such as the Notification
// Data of RESPONDER-LIFETIME (RFC 2407 §4.6.3.1). Fails with
// BAD-PROPOSAL-SYNTAX when an attribute is truncated.
Result<std::vector<DataAttribute>> ParseDataAttributes(ByteView body);
Bytes EncodeDataAttributes(const std::vector<DataAttribute>& attributes);

// Groups the proposals by proposal number, in order of first appearance:
// each group is one alternative, RFC 2408 §4.2. Pointers refer into
// `payload`.
std::vector<std::vector<const Proposal*>> GroupProposals(const SaPayload& payload);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_SA_H_
