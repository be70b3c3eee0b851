#include "ike/constants.h"

#include <string>

namespace ipop::ike {

std::string PayloadTypeName(PayloadType type) {
  switch (type) {
    case PayloadType::kNone:
      return "NONE";
    case PayloadType::kSa:
      return "SA";
    case PayloadType::kProposal:
      return "P";
    case PayloadType::kTransform:
      return "T";
    case PayloadType::kKeyExchange:
      return "KE";
    case PayloadType::kIdentification:
      return "ID";
    case PayloadType::kCertificate:
      return "CERT";
    case PayloadType::kCertificateRequest:
      return "CR";
    case PayloadType::kHash:
      return "HASH";
    case PayloadType::kSignature:
      return "SIG";
    case PayloadType::kNonce:
      return "NONCE";
    case PayloadType::kNotification:
      return "N";
    case PayloadType::kDelete:
      return "D";
    case PayloadType::kVendorId:
      return "VID";
    case PayloadType::kNatD:
    case PayloadType::kNatDDraft:
      return "NAT-D";
    case PayloadType::kNatOa:
    case PayloadType::kNatOaDraft:
      return "NAT-OA";
    case PayloadType::kFragment:
      return "FRAG";
  }
  return std::to_string(static_cast<unsigned>(type));
}

std::string ExchangeTypeName(ExchangeType type) {
  switch (type) {
    case ExchangeType::kNone:
      return "None";
    case ExchangeType::kBase:
      return "Base";
    case ExchangeType::kIdentityProtection:
      return "Identity Protection";
    case ExchangeType::kAuthenticationOnly:
      return "Authentication Only";
    case ExchangeType::kAggressive:
      return "Aggressive";
    case ExchangeType::kInformational:
      return "Informational";
    case ExchangeType::kQuickMode:
      return "Quick Mode";
    case ExchangeType::kNewGroupMode:
      return "New Group Mode";
  }
  return std::to_string(static_cast<unsigned>(type));
}

namespace {

struct NotifyName {
  uint16_t type;
  const char* name;
};

constexpr NotifyName kNotifyNames[] = {
    {kNotifyInvalidPayloadType, "INVALID-PAYLOAD-TYPE"},
    {kNotifyDoiNotSupported, "DOI-NOT-SUPPORTED"},
    {kNotifySituationNotSupported, "SITUATION-NOT-SUPPORTED"},
    {kNotifyInvalidCookie, "INVALID-COOKIE"},
    {kNotifyInvalidMajorVersion, "INVALID-MAJOR-VERSION"},
    {kNotifyInvalidMinorVersion, "INVALID-MINOR-VERSION"},
    {kNotifyInvalidExchangeType, "INVALID-EXCHANGE-TYPE"},
    {kNotifyInvalidFlags, "INVALID-FLAGS"},
    {kNotifyInvalidMessageId, "INVALID-MESSAGE-ID"},
    {kNotifyInvalidProtocolId, "INVALID-PROTOCOL-ID"},
    {kNotifyInvalidSpi, "INVALID-SPI"},
    {kNotifyInvalidTransformId, "INVALID-TRANSFORM-ID"},
    {kNotifyAttributesNotSupported, "ATTRIBUTES-NOT-SUPPORTED"},
    {kNotifyNoProposalChosen, "NO-PROPOSAL-CHOSEN"},
    {kNotifyBadProposalSyntax, "BAD-PROPOSAL-SYNTAX"},
    {kNotifyPayloadMalformed, "PAYLOAD-MALFORMED"},
    {kNotifyInvalidKeyInformation, "INVALID-KEY-INFORMATION"},
    {kNotifyInvalidIdInformation, "INVALID-ID-INFORMATION"},
    {kNotifyInvalidCertEncoding, "INVALID-CERT-ENCODING"},
    {kNotifyInvalidCertificate, "INVALID-CERTIFICATE"},
    {kNotifyCertTypeUnsupported, "CERT-TYPE-UNSUPPORTED"},
    {kNotifyInvalidCertAuthority, "INVALID-CERT-AUTHORITY"},
    {kNotifyInvalidHashInformation, "INVALID-HASH-INFORMATION"},
    {kNotifyAuthenticationFailed, "AUTHENTICATION-FAILED"},
    {kNotifyInvalidSignature, "INVALID-SIGNATURE"},
    {kNotifyAddressNotification, "ADDRESS-NOTIFICATION"},
    {kNotifySaLifetime, "NOTIFY-SA-LIFETIME"},
    {kNotifyCertificateUnavailable, "CERTIFICATE-UNAVAILABLE"},
    {kNotifyUnsupportedExchangeType, "UNSUPPORTED-EXCHANGE-TYPE"},
    {kNotifyUnequalPayloadLengths, "UNEQUAL-PAYLOAD-LENGTHS"},
    {kNotifyResponderLifetime, "RESPONDER-LIFETIME"},
    {kNotifyReplayStatus, "REPLAY-STATUS"},
    {kNotifyInitialContact, "INITIAL-CONTACT"},
    {kNotifyDpdRUThere, "R-U-THERE"},
    {kNotifyDpdRUThereAck, "R-U-THERE-ACK"},
};

}  // namespace

std::string NotifyTypeName(uint16_t notify_type) {
  for (const NotifyName& entry : kNotifyNames) {
    if (entry.type == notify_type) {
      return entry.name;
    }
  }
  return std::to_string(notify_type);
}

}  // namespace ipop::ike
