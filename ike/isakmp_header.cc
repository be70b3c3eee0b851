#include "ike/isakmp_header.h"

#include <algorithm>
#include <string>

#include "base/byte_reader.h"

namespace ipop::ike {

bool IsKnownExchangeType(ExchangeType type) {
  switch (type) {
    case ExchangeType::kBase:
    case ExchangeType::kIdentityProtection:
    case ExchangeType::kAuthenticationOnly:
    case ExchangeType::kAggressive:
    case ExchangeType::kInformational:
    case ExchangeType::kQuickMode:
    case ExchangeType::kNewGroupMode:
      return true;
    case ExchangeType::kNone:
      return false;
  }
  return false;
}

Result<IsakmpHeader> ParseIsakmpHeader(ByteView datagram) {
  ByteReader reader(datagram);
  IsakmpHeader header;
  ByteView initiator_cookie;
  ByteView responder_cookie;
  uint8_t next_payload = 0;
  uint8_t version = 0;
  uint8_t exchange_type = 0;
  if (!reader.ReadBytes(kCookieSize, initiator_cookie) || !reader.ReadBytes(kCookieSize, responder_cookie) ||
      !reader.ReadU8(next_payload) || !reader.ReadU8(version) || !reader.ReadU8(exchange_type) ||
      !reader.ReadU8(header.flags) || !reader.ReadU32(header.message_id) || !reader.ReadU32(header.length)) {
    return Fail(ErrorCode::kTruncated,
                "ISAKMP header truncated (" + std::to_string(datagram.size()) + " < 28 bytes)");
  }
  std::copy(initiator_cookie.begin(), initiator_cookie.end(), header.initiator_cookie.begin());
  std::copy(responder_cookie.begin(), responder_cookie.end(), header.responder_cookie.begin());
  header.next_payload = static_cast<PayloadType>(next_payload);
  header.major_version = version >> 4;
  header.minor_version = version & 0x0f;
  header.exchange_type = static_cast<ExchangeType>(exchange_type);

  // RFC 2408 §5.2 lists these checks; the order follows the header layout.
  if (header.major_version != kIsakmpMajorVersion) {
    return Fail(ErrorCode::kUnsupported,
                "ISAKMP major version " + std::to_string(header.major_version) + " is not 1",
                kNotifyInvalidMajorVersion);
  }
  if (header.minor_version != kIsakmpMinorVersion) {
    return Fail(ErrorCode::kUnsupported,
                "ISAKMP minor version " + std::to_string(header.minor_version) + " is not 0",
                kNotifyInvalidMinorVersion);
  }
  if (!IsKnownExchangeType(header.exchange_type)) {
    return Fail(ErrorCode::kUnsupported, "unknown exchange type " + std::to_string(exchange_type),
                kNotifyInvalidExchangeType);
  }
  if ((header.flags & ~kFlagsDefined) != 0) {
    return Fail(ErrorCode::kMalformed, "undefined ISAKMP flag bits set (flags " + std::to_string(header.flags) + ")",
                kNotifyInvalidFlags);
  }
  if (std::ranges::all_of(header.initiator_cookie, [](std::byte b) { return b == std::byte{0}; })) {
    return Fail(ErrorCode::kMalformed, "initiator cookie is zero", kNotifyInvalidCookie);
  }
  if (header.length < kIsakmpHeaderSize || header.length > kMaxMessageSize) {
    return Fail(ErrorCode::kMalformed,
                "ISAKMP length " + std::to_string(header.length) + " outside 28.." + std::to_string(kMaxMessageSize),
                kNotifyUnequalPayloadLengths);
  }
  if (header.length != datagram.size()) {
    return Fail(ErrorCode::kMalformed,
                "ISAKMP length " + std::to_string(header.length) + " does not match the " +
                    std::to_string(datagram.size()) + "-byte datagram",
                kNotifyUnequalPayloadLengths);
  }
  return header;
}

void EncodeIsakmpHeader(const IsakmpHeader& header, ByteWriter& out) {
  out.WriteBytes(header.initiator_cookie);
  out.WriteBytes(header.responder_cookie);
  out.WriteU8(static_cast<uint8_t>(header.next_payload));
  out.WriteU8(static_cast<uint8_t>((header.major_version << 4) | (header.minor_version & 0x0f)));
  out.WriteU8(static_cast<uint8_t>(header.exchange_type));
  out.WriteU8(header.flags);
  out.WriteU32(header.message_id);
  out.WriteU32(header.length);
}

}  // namespace ipop::ike
