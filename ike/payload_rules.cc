#include "ike/payload_rules.h"

#include <algorithm>

namespace ipop::ike {

Result<void> CheckPayloads(const Message& message, const PayloadRule& rule) {
  for (const Payload& payload : message.payloads()) {
    const bool private_type = static_cast<uint8_t>(payload.type) >= kFirstPrivatePayloadType &&
                              payload.type != PayloadType::kNatDDraft &&
                              payload.type != PayloadType::kNatOaDraft;
    if (private_type || std::ranges::find(rule.allowed, payload.type) != rule.allowed.end()) {
      continue;
    }
    return Fail(ErrorCode::kMalformed,
                std::string(PayloadTypeName(payload.type)) + " payload not allowed in " + rule.step,
                kNotifyInvalidPayloadType);
  }
  for (PayloadType type : rule.required) {
    if (message.Find(type) == nullptr) {
      return Fail(ErrorCode::kMalformed, std::string(rule.step) + " lacks its " + PayloadTypeName(type) + " payload",
                  kNotifyPayloadMalformed);
    }
  }
  return {};
}

Result<ByteView> RequiredBody(const Message& message, PayloadType type) {
  const Payload* payload = message.Find(type);
  if (payload == nullptr) {
    return Fail(ErrorCode::kMalformed, std::string(PayloadTypeName(type)) + " payload missing",
                kNotifyPayloadMalformed);
  }
  return payload->body;
}

}  // namespace ipop::ike
