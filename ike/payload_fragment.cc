#include "ike/payload_fragment.h"

#include <algorithm>
#include <string>

#include "base/byte_reader.h"
#include "base/byte_writer.h"
#include "ike/message.h"

namespace ipop::ike {
namespace {

// The 8-bit fragment number counts from 1.
constexpr size_t kMaxFragmentCount = 255;

}  // namespace

Result<FragmentPayload> ParseFragmentPayload(ByteView body) {
  ByteReader reader(body);
  FragmentPayload payload;
  uint8_t flags = 0;
  if (!reader.ReadU16(payload.fragment_id) || !reader.ReadU8(payload.number) || !reader.ReadU8(flags)) {
    return Fail(ErrorCode::kTruncated,
                "fragment header truncated (" + std::to_string(body.size()) + " < " +
                    std::to_string(kFragmentHeaderSize) + " bytes)",
                kNotifyPayloadMalformed);
  }
  if (payload.number == 0) {
    return Fail(ErrorCode::kMalformed, "fragment number 0; numbers start at 1", kNotifyPayloadMalformed);
  }
  if ((flags & ~kFragmentFlagLast) != 0) {
    return Fail(ErrorCode::kMalformed, "undefined fragment flag bits set (flags " + std::to_string(flags) + ")",
                kNotifyPayloadMalformed);
  }
  if (reader.empty()) {
    return Fail(ErrorCode::kMalformed, "fragment " + std::to_string(payload.number) + " carries no data",
                kNotifyPayloadMalformed);
  }
  payload.last = (flags & kFragmentFlagLast) != 0;
  const ByteView data = reader.Remaining();
  payload.data.assign(data.begin(), data.end());
  return payload;
}

Bytes EncodeBody(const FragmentPayload& payload) {
  ByteWriter out;
  out.WriteU16(payload.fragment_id);
  out.WriteU8(payload.number);
  out.WriteU8(payload.last ? kFragmentFlagLast : 0);
  out.WriteBytes(payload.data);
  return out.Take();
}

bool IsFragmentDatagram(ByteView datagram) {
  // The next payload field is byte 16 of the header, RFC 2408 §3.1.
  constexpr size_t kNextPayloadOffset = 2 * kCookieSize;
  return datagram.size() > kNextPayloadOffset &&
         datagram[kNextPayloadOffset] == static_cast<std::byte>(PayloadType::kFragment);
}

Result<FragmentMessage> ParseFragmentMessage(ByteView datagram) {
  auto header = ParseIsakmpHeader(datagram);
  if (!header) {
    return std::unexpected(std::move(header.error()));
  }
  if (header->next_payload != PayloadType::kFragment) {
    return Fail(ErrorCode::kMalformed, "first payload is " + PayloadTypeName(header->next_payload) + ", not FRAG",
                kNotifyInvalidPayloadType);
  }
  ByteReader reader(datagram.subspan(kIsakmpHeaderSize));
  uint8_t next_payload = 0;
  uint8_t reserved = 0;
  uint16_t length = 0;
  if (!reader.ReadU8(next_payload) || !reader.ReadU8(reserved) || !reader.ReadU16(length)) {
    return Fail(ErrorCode::kTruncated, "fragment payload header truncated", kNotifyPayloadMalformed);
  }
  if (next_payload != static_cast<uint8_t>(PayloadType::kNone)) {
    return Fail(ErrorCode::kMalformed,
                "payload " + std::to_string(next_payload) + " follows a fragment; a fragment must be alone",
                kNotifyInvalidPayloadType);
  }
  if (reserved != 0) {
    return Fail(ErrorCode::kMalformed, "fragment RESERVED is " + std::to_string(reserved) + ", not 0",
                kNotifyPayloadMalformed);
  }
  const size_t available = datagram.size() - kIsakmpHeaderSize;
  if (length < kGenericPayloadHeaderSize + kFragmentHeaderSize || length != available) {
    return Fail(ErrorCode::kMalformed,
                "fragment payload length " + std::to_string(length) + " does not fill the " +
                    std::to_string(available) + " bytes after the header",
                kNotifyPayloadMalformed);
  }
  ByteView body;
  if (!reader.ReadBytes(length - kGenericPayloadHeaderSize, body)) {
    return Fail(ErrorCode::kTruncated, "fragment payload truncated", kNotifyPayloadMalformed);
  }
  auto fragment = ParseFragmentPayload(body);
  if (!fragment) {
    return std::unexpected(std::move(fragment.error()));
  }
  return FragmentMessage{*header, std::move(*fragment)};
}

std::vector<Bytes> SplitIntoFragments(ByteView message, uint16_t fragment_id, size_t max_datagram_size) {
  auto original = ParseIsakmpHeader(message);
  const size_t overhead = kIsakmpHeaderSize + kGenericPayloadHeaderSize + kFragmentHeaderSize;
  if (!original || max_datagram_size <= overhead) {
    return {};
  }
  const size_t chunk = max_datagram_size - overhead;
  const size_t count = (message.size() + chunk - 1) / chunk;
  if (count > kMaxFragmentCount) {
    return {};
  }

  IsakmpHeader header = *original;
  header.next_payload = PayloadType::kFragment;
  header.flags = static_cast<uint8_t>(header.flags & ~kFlagEncryption);
  header.message_id = 0;
  std::vector<Bytes> fragments;
  for (size_t index = 0; index < count; ++index) {
    const size_t offset = index * chunk;
    const ByteView data = message.subspan(offset, std::min(chunk, message.size() - offset));
    FragmentPayload payload{fragment_id, static_cast<uint8_t>(index + 1), index + 1 == count,
                            Bytes(data.begin(), data.end())};
    MessageBuilder builder(header);
    builder.Add(payload);
    fragments.push_back(builder.Build());
  }
  return fragments;
}

}  // namespace ipop::ike
