// Required and allowed payloads of each exchange step, checked once before
// a handler reads anything (RFC 2409 §5.1, §5.5, §5.7).
// Unknown payloads of the private range are tolerated, since a peer may add
// them and the chain stays walkable.
#ifndef IPOP_IKE_PAYLOAD_RULES_H_
#define IPOP_IKE_PAYLOAD_RULES_H_

#include <initializer_list>
#include <span>
#include <string>

#include "base/error.h"
#include "ike/constants.h"
#include "ike/message.h"

namespace ipop::ike {

struct PayloadRule {
  const char* step;  // for error messages, e.g. "Main Mode message 3"
  std::span<const PayloadType> required;
  std::span<const PayloadType> allowed;
};

inline constexpr PayloadType kMainModeSaRequired[] = {PayloadType::kSa};
inline constexpr PayloadType kMainModeSaAllowed[] = {PayloadType::kSa, PayloadType::kVendorId};
inline constexpr PayloadType kMainModeKeRequired[] = {PayloadType::kKeyExchange, PayloadType::kNonce};
inline constexpr PayloadType kMainModeKeAllowed[] = {
    PayloadType::kKeyExchange, PayloadType::kNonce, PayloadType::kCertificateRequest,
    PayloadType::kNatD,        PayloadType::kNatDDraft, PayloadType::kVendorId};
inline constexpr PayloadType kMainModeAuthRequired[] = {PayloadType::kIdentification};
inline constexpr PayloadType kMainModeAuthAllowed[] = {
    PayloadType::kIdentification, PayloadType::kCertificate, PayloadType::kCertificateRequest,
    PayloadType::kSignature,      PayloadType::kHash,        PayloadType::kNotification,
    PayloadType::kVendorId};
inline constexpr PayloadType kQuickModeRequired[] = {PayloadType::kHash, PayloadType::kSa,
                                                     PayloadType::kNonce};
inline constexpr PayloadType kQuickModeAllowed[] = {
    PayloadType::kHash,           PayloadType::kSa,           PayloadType::kNonce,
    PayloadType::kKeyExchange,    PayloadType::kIdentification, PayloadType::kNotification,
    PayloadType::kNatOa,          PayloadType::kNatOaDraft};
inline constexpr PayloadType kQuickModeHashOnly[] = {PayloadType::kHash};
inline constexpr PayloadType kInformationalRequired[] = {PayloadType::kHash};
inline constexpr PayloadType kInformationalAllowed[] = {PayloadType::kHash, PayloadType::kNotification,
                                                        PayloadType::kDelete};

// Aggressive Mode, RFC 2409 §5.4 (pre-shared key) and §5.1 (signatures):
//   HDR, SA, KE, Ni, IDii [, CR], VID -->
//   <-- HDR, SA, KE, Nr, IDir, [CERT,] SIG_R or HASH_R [, CR], VID, NAT-D
//   HDR[*], [CERT,] SIG_I or HASH_I, NAT-D -->
inline constexpr PayloadType kAggressive1Required[] = {PayloadType::kSa, PayloadType::kKeyExchange,
                                                       PayloadType::kNonce, PayloadType::kIdentification};
inline constexpr PayloadType kAggressive1Allowed[] = {
    PayloadType::kSa,             PayloadType::kKeyExchange,        PayloadType::kNonce,
    PayloadType::kIdentification, PayloadType::kCertificateRequest, PayloadType::kVendorId};
inline constexpr PayloadType kAggressive2Allowed[] = {
    PayloadType::kSa,          PayloadType::kKeyExchange,        PayloadType::kNonce,
    PayloadType::kIdentification, PayloadType::kCertificate,    PayloadType::kCertificateRequest,
    PayloadType::kSignature,   PayloadType::kHash,               PayloadType::kVendorId,
    PayloadType::kNatD,        PayloadType::kNatDDraft,          PayloadType::kNotification};
inline constexpr PayloadType kAggressive3Allowed[] = {
    PayloadType::kCertificate, PayloadType::kSignature, PayloadType::kHash,     PayloadType::kNatD,
    PayloadType::kNatDDraft,   PayloadType::kNotification, PayloadType::kVendorId};

inline constexpr PayloadRule kMainModeSaRule{"Main Mode message 1/2", kMainModeSaRequired,
                                             kMainModeSaAllowed};
inline constexpr PayloadRule kMainModeKeRule{"Main Mode message 3/4", kMainModeKeRequired,
                                             kMainModeKeAllowed};
inline constexpr PayloadRule kMainModeAuthRule{"Main Mode message 5/6", kMainModeAuthRequired,
                                               kMainModeAuthAllowed};
inline constexpr PayloadRule kAggressive1Rule{"Aggressive Mode message 1", kAggressive1Required,
                                              kAggressive1Allowed};
inline constexpr PayloadRule kAggressive2Rule{"Aggressive Mode message 2", kAggressive1Required,
                                              kAggressive2Allowed};
// HASH_I or SIG_I is checked by the authentication method, after the rule.
inline constexpr PayloadRule kAggressive3Rule{"Aggressive Mode message 3", {}, kAggressive3Allowed};
inline constexpr PayloadRule kQuickModeRule{"Quick Mode message 1/2", kQuickModeRequired,
                                            kQuickModeAllowed};
inline constexpr PayloadRule kQuickModeHash3Rule{"Quick Mode message 3", kQuickModeHashOnly,
                                                 kQuickModeHashOnly};
inline constexpr PayloadRule kInformationalRule{"Informational", kInformationalRequired,
                                                kInformationalAllowed};

// Fails with INVALID-PAYLOAD-TYPE when a payload is not allowed at this step
// and with PAYLOAD-MALFORMED when a required one is missing.
Result<void> CheckPayloads(const Message& message, const PayloadRule& rule);

// Returns the body of the first payload of `type`, failing with
// PAYLOAD-MALFORMED when there is none.
Result<ByteView> RequiredBody(const Message& message, PayloadType type);

// Parses the body of the first payload of `type` with `parse`, e.g.
// ParseRequired(message, PayloadType::kNonce, ParseNoncePayload).
template <typename Parse>
auto ParseRequired(const Message& message, PayloadType type, Parse parse) -> decltype(parse(ByteView{})) {
  auto body = RequiredBody(message, type);
  if (!body) {
    return std::unexpected(body.error());
  }
  return parse(*body);
}

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_RULES_H_
