#include "ike/message.h"

#include <cassert>
#include <string>
#include <utility>

#include "base/byte_reader.h"
#include "base/byte_writer.h"

namespace ipop::ike {
namespace {

// Payload types this codec decodes, RFC 2408 §3.1 and RFC 3947 §3.2, §5.1.
// Proposal and Transform appear only nested in an SA, never in the chain.
bool IsChainPayloadType(PayloadType type) {
  switch (type) {
    case PayloadType::kSa:
    case PayloadType::kKeyExchange:
    case PayloadType::kIdentification:
    case PayloadType::kCertificate:
    case PayloadType::kCertificateRequest:
    case PayloadType::kHash:
    case PayloadType::kSignature:
    case PayloadType::kNonce:
    case PayloadType::kNotification:
    case PayloadType::kDelete:
    case PayloadType::kVendorId:
    case PayloadType::kNatD:
    case PayloadType::kNatOa:
    case PayloadType::kNatDDraft:
    case PayloadType::kNatOaDraft:
      return true;
    case PayloadType::kNone:
    case PayloadType::kProposal:
    case PayloadType::kTransform:
    case PayloadType::kFragment:  // only alone, handled before the chain parser
      return false;
  }
  return false;
}

bool IsPrivatePayloadType(PayloadType type) {
  return static_cast<uint8_t>(type) >= kFirstPrivatePayloadType;
}

struct ParsedChain {
  std::vector<Payload> payloads;
  size_t end = 0;
};

// Returns true when the bytes after the chain are 1 to 3 zero bytes that
// make the message a multiple of four octets long. libreswan pads its
// cleartext IKEv1 messages that way (pluto 4.10, Main Mode message 4 with a
// CR payload). Any other bytes after the chain are still malformed.
bool IsAlignmentPadding(ByteView message, size_t chain_end) {
  constexpr size_t kAlignment = 4;
  const size_t trailing = message.size() - chain_end;
  if (trailing >= kAlignment || message.size() % kAlignment != 0) {
    return false;
  }
  for (std::byte b : message.subspan(chain_end)) {
    if (b != std::byte{0}) {
      return false;
    }
  }
  return true;
}

// Walks the generic payload headers from `offset` to the end of `message`,
// starting with `first_type` from the ISAKMP header. With `allow_padding`,
// bytes after the last payload are accepted (a decrypted body).
Result<ParsedChain> ParseChain(ByteView message, size_t offset, PayloadType first_type, bool allow_padding) {
  ParsedChain chain;
  PayloadType type = first_type;
  while (type != PayloadType::kNone) {
    const std::string where = "payload " + std::to_string(chain.payloads.size()) + " (" + PayloadTypeName(type) +
                              ") at offset " + std::to_string(offset);
    ByteReader reader(message.subspan(offset));
    uint8_t next_type = 0;
    uint8_t reserved = 0;
    uint16_t length = 0;
    if (!reader.ReadU8(next_type) || !reader.ReadU8(reserved) || !reader.ReadU16(length)) {
      return Fail(ErrorCode::kTruncated, where + ": generic payload header truncated", kNotifyPayloadMalformed);
    }
    if (!IsChainPayloadType(type) && !IsPrivatePayloadType(type)) {
      return Fail(ErrorCode::kMalformed, where + ": invalid payload type", kNotifyInvalidPayloadType);
    }
    if (reserved != 0) {
      return Fail(ErrorCode::kMalformed, where + ": RESERVED is " + std::to_string(reserved) + ", not 0",
                  kNotifyPayloadMalformed);
    }
    const size_t minimum = kGenericPayloadHeaderSize + MinimumBodySize(type);
    if (length < minimum) {
      return Fail(ErrorCode::kMalformed,
                  where + ": length " + std::to_string(length) + " < minimum " + std::to_string(minimum),
                  kNotifyPayloadMalformed);
    }
    if (length > message.size() - offset) {
      return Fail(ErrorCode::kTruncated,
                  where + ": length " + std::to_string(length) + " exceeds the " +
                      std::to_string(message.size() - offset) + " bytes left",
                  kNotifyPayloadMalformed);
    }

    Payload payload;
    payload.type = type;
    payload.offset = offset;
    payload.length = length;
    payload.body = message.subspan(offset + kGenericPayloadHeaderSize, length - kGenericPayloadHeaderSize);
    chain.payloads.push_back(payload);
    offset += length;
    type = static_cast<PayloadType>(next_type);
  }
  chain.end = offset;

  const size_t trailing = message.size() - offset;
  if (trailing != 0 && !allow_padding && !IsAlignmentPadding(message, offset)) {
    return Fail(ErrorCode::kMalformed,
                std::to_string(trailing) + " bytes follow the last payload at offset " + std::to_string(offset),
                kNotifyUnequalPayloadLengths);
  }
  if (trailing >= kMaxPaddingSize) {
    return Fail(ErrorCode::kMalformed,
                std::to_string(trailing) + " bytes of padding follow the last payload (max " +
                    std::to_string(kMaxPaddingSize - 1) + ")",
                kNotifyUnequalPayloadLengths);
  }
  return chain;
}

void AppendPayload(ByteWriter& out, PayloadType next_type, ByteView body) {
  assert(body.size() + kGenericPayloadHeaderSize <= UINT16_MAX);
  out.WriteU8(static_cast<uint8_t>(next_type));
  out.WriteU8(0);
  out.WriteU16(static_cast<uint16_t>(body.size() + kGenericPayloadHeaderSize));
  out.WriteBytes(body);
}

}  // namespace

size_t MinimumBodySize(PayloadType type) {
  switch (type) {
    case PayloadType::kSa:
      return 8;  // DOI and situation, RFC 2408 §3.4
    case PayloadType::kKeyExchange:
      return 1;
    case PayloadType::kIdentification:
      return 4;  // ID type, protocol, port, RFC 2407 §4.6.2
    case PayloadType::kCertificate:
    case PayloadType::kCertificateRequest:
      return 1;  // encoding or type octet, RFC 2408 §3.9, §3.10
    case PayloadType::kNonce:
      return kMinNonceSize;
    case PayloadType::kNotification:
    case PayloadType::kDelete:
      return 8;  // DOI, protocol, SPI size and a 16-bit field, §3.14, §3.15
    case PayloadType::kNatD:
    case PayloadType::kNatDDraft:
      return 1;
    case PayloadType::kNatOa:
    case PayloadType::kNatOaDraft:
      return 4;  // ID type and reserved, RFC 3947 §5.1
    case PayloadType::kHash:
    case PayloadType::kSignature:
    case PayloadType::kVendorId:
    case PayloadType::kNone:
    case PayloadType::kProposal:
    case PayloadType::kTransform:
    case PayloadType::kFragment:
      return 0;
  }
  return 0;
}

const Payload* Message::Find(PayloadType type) const {
  for (const Payload& payload : payloads_) {
    if (payload.type == type) {
      return &payload;
    }
  }
  return nullptr;
}

std::vector<const Payload*> Message::FindAll(PayloadType type) const {
  std::vector<const Payload*> found;
  for (const Payload& payload : payloads_) {
    if (payload.type == type) {
      found.push_back(&payload);
    }
  }
  return found;
}

ByteView Message::BytesAfter(const Payload& payload) const {
  assert(payload.end_offset() <= chain_end_);
  return bytes().subspan(payload.end_offset(), chain_end_ - payload.end_offset());
}

Result<Message> ParseMessage(ByteView datagram) {
  auto header = ParseIsakmpHeader(datagram);
  if (!header) {
    return std::unexpected(std::move(header.error()));
  }

  Message message;
  message.header_ = *header;
  message.bytes_ = std::make_shared<const Bytes>(datagram.begin(), datagram.end());
  if (header->encrypted()) {
    message.chain_end_ = kIsakmpHeaderSize;
    return message;
  }

  auto chain = ParseChain(message.bytes(), kIsakmpHeaderSize, header->next_payload, /*allow_padding=*/false);
  if (!chain) {
    return std::unexpected(std::move(chain.error()));
  }
  message.payloads_ = std::move(chain->payloads);
  message.chain_end_ = chain->end;
  return message;
}

Result<Message> ParseDecryptedMessage(const Message& encrypted, ByteView plaintext) {
  if (plaintext.size() != encrypted.body().size()) {
    return Fail(ErrorCode::kInvalidArgument, "plaintext size " + std::to_string(plaintext.size()) +
                                                 " differs from the encrypted body size " +
                                                 std::to_string(encrypted.body().size()));
  }
  Bytes bytes(encrypted.bytes().begin(), encrypted.bytes().begin() + kIsakmpHeaderSize);
  Append(bytes, plaintext);

  Message message;
  message.header_ = encrypted.header();
  message.bytes_ = std::make_shared<const Bytes>(std::move(bytes));
  auto chain =
      ParseChain(message.bytes(), kIsakmpHeaderSize, message.header_.next_payload, /*allow_padding=*/true);
  if (!chain) {
    return std::unexpected(std::move(chain.error()));
  }
  message.payloads_ = std::move(chain->payloads);
  message.chain_end_ = chain->end;
  return message;
}

MessageBuilder& MessageBuilder::AddRaw(PayloadType type, ByteView body) {
  return AddRaw(type, Bytes(body.begin(), body.end()));
}

MessageBuilder& MessageBuilder::AddRaw(PayloadType type, Bytes body) {
  payloads_.push_back(Entry{type, std::move(body)});
  return *this;
}

void MessageBuilder::ReplaceBody(size_t index, Bytes body) {
  assert(index < payloads_.size());
  payloads_[index].body = std::move(body);
}

Bytes MessageBuilder::EncodeChain(size_t first_index) const {
  ByteWriter out;
  for (size_t i = first_index; i < payloads_.size(); ++i) {
    const PayloadType next = i + 1 < payloads_.size() ? payloads_[i + 1].type : PayloadType::kNone;
    AppendPayload(out, next, payloads_[i].body);
  }
  return out.Take();
}

Bytes MessageBuilder::BuildBody(size_t block_size) const {
  assert(block_size > 0);
  Bytes body = EncodeChain();
  const size_t remainder = body.size() % block_size;
  if (remainder != 0) {
    body.insert(body.end(), block_size - remainder, std::byte{0});
  }
  return body;
}

Bytes MessageBuilder::Build() const {
  IsakmpHeader header = header_;
  header.next_payload = payloads_.empty() ? PayloadType::kNone : payloads_.front().type;
  return EncodeMessage(header, EncodeChain());
}

Bytes MessageBuilder::BuildEncrypted(ByteView ciphertext) const {
  IsakmpHeader header = header_;
  header.next_payload = payloads_.empty() ? PayloadType::kNone : payloads_.front().type;
  header.flags |= kFlagEncryption;
  return EncodeMessage(header, ciphertext);
}

Bytes EncodeMessage(IsakmpHeader header, ByteView body) {
  header.length = static_cast<uint32_t>(kIsakmpHeaderSize + body.size());
  ByteWriter out;
  EncodeIsakmpHeader(header, out);
  out.WriteBytes(body);
  return out.Take();
}

}  // namespace ipop::ike
