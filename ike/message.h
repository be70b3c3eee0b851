// A whole ISAKMP message: the header and the chain of payloads that follows
// it (RFC 2408 §3.1, §3.2). Parsing walks only the generic payload headers.
// A handler decodes the bodies it uses with the typed Parse functions of the
// payload_*.h files.
//
// Every parsed payload keeps its body without the 4-byte generic header,
// because RFC 2409 hashes bodies in that form (SAi_b, IDii_b, Ni_b, §5),
// and its offset, because Quick Mode hashes everything after HASH (§5.5).
#ifndef IPOP_IKE_MESSAGE_H_
#define IPOP_IKE_MESSAGE_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "ike/constants.h"
#include "ike/isakmp_header.h"

namespace ipop::ike {

struct Payload {
  PayloadType type = PayloadType::kNone;
  // The body after the generic header. It points into the Message that
  // contains this payload and stays valid while that Message or a copy of it
  // exists.
  ByteView body;
  // Offset of the generic payload header from the start of the message.
  size_t offset = 0;
  // Payload length field: generic header plus body.
  size_t length = 0;

  size_t end_offset() const { return offset + length; }
};

class Message {
 public:
  const IsakmpHeader& header() const { return header_; }
  const std::vector<Payload>& payloads() const { return payloads_; }
  // The whole message as received (for a decrypted message: header followed
  // by the plaintext, padding included).
  ByteView bytes() const { return *bytes_; }
  // Bytes after the header: the ciphertext when the E flag is set and the
  // payloads are not parsed yet. Empty for a default-constructed Message.
  ByteView body() const {
    return bytes().size() < kIsakmpHeaderSize ? ByteView{} : bytes().subspan(kIsakmpHeaderSize);
  }
  // Offset just past the last payload; smaller than bytes().size() only when
  // padding follows a decrypted payload chain.
  size_t chain_end() const { return chain_end_; }

  // Returns the first payload of `type`, or nullptr.
  const Payload* Find(PayloadType type) const;
  std::vector<const Payload*> FindAll(PayloadType type) const;
  // Returns the encoded payloads (generic headers included) that follow
  // `payload` up to the end of the chain, without padding: the input of the
  // Quick Mode hashes, RFC 2409 §5.5.
  ByteView BytesAfter(const Payload& payload) const;

 private:
  friend Result<Message> ParseMessage(ByteView datagram);
  friend Result<Message> ParseDecryptedMessage(const Message& encrypted, ByteView plaintext);

  IsakmpHeader header_;
  std::shared_ptr<const Bytes> bytes_ = std::make_shared<const Bytes>();
  std::vector<Payload> payloads_;
  size_t chain_end_ = 0;
};

// Parses a received datagram: the header (see ParseIsakmpHeader), then,
// unless the E flag is set, the payload chain. Each generic payload header is
// checked in this order: it fits, the type is known, RESERVED is zero, the
// length covers the generic header and the minimum body of the type, and the
// length fits the rest of the message. The chain must end exactly at the
// message end.
//
// A reserved type 14-127 other than NAT-D and NAT-OA fails with
// INVALID-PAYLOAD-TYPE. An unknown type in the private range 128-255 is kept,
// because the chain stays walkable and a handler can ignore it.
//
// An encrypted message comes back with no payloads. Decrypt body() and call
// ParseDecryptedMessage.
Result<Message> ParseMessage(ByteView datagram);

// Parses the payload chain of a decrypted message body. `plaintext` is the
// decrypted body() of `encrypted`, padding included. Up to
// kMaxPaddingSize - 1 bytes after the last payload are accepted as padding
// (RFC 2409 Appendix B).
Result<Message> ParseDecryptedMessage(const Message& encrypted, ByteView plaintext);

// Limit on the padding accepted after a decrypted chain. RFC 2409 Appendix B
// pads to the cipher block size. The limit leaves room for peers that pad
// more, but bounds what a wrong-key decryption can pass off as padding.
inline constexpr size_t kMaxPaddingSize = 256;

// Smallest body each payload type can have, RFC 2408 §3.4-§3.15, RFC 3947
// §3.2 and §5.1. Unknown types return 0.
size_t MinimumBodySize(PayloadType type);

// Builds a plaintext message: payloads are appended in order, and Build()
// chains their next payload fields, fills every length and returns the bytes.
// Encryption is the caller's job: BuildBody() gives the chain alone, padded
// to the cipher block size, and BuildEncrypted() puts the header in front of
// the ciphertext.
class MessageBuilder {
 public:
  // The header's next_payload and length are overwritten by Build().
  explicit MessageBuilder(const IsakmpHeader& header) : header_(header) {}

  MessageBuilder& AddRaw(PayloadType type, ByteView body);
  MessageBuilder& AddRaw(PayloadType type, Bytes body);
  // Appends a typed payload from a payload_*.h file, e.g. NoncePayload.
  template <typename TypedPayload>
  MessageBuilder& Add(const TypedPayload& payload) {
    return AddRaw(TypedPayload::kType, EncodeBody(payload));
  }
  // The same with an explicit type, for NAT-D and NAT-OA whose type number
  // depends on the negotiated NAT-T version.
  template <typename TypedPayload>
  MessageBuilder& Add(PayloadType type, const TypedPayload& payload) {
    return AddRaw(type, EncodeBody(payload));
  }
  // Replaces the body of payload `index`, e.g. a HASH placeholder once the
  // hash over the later payloads is known.
  void ReplaceBody(size_t index, Bytes body);

  size_t payload_count() const { return payloads_.size(); }
  // Encodes the payloads from `first_index` to the end, generic headers
  // included. After a leading HASH, EncodeChain(1) equals what
  // Message::BytesAfter returns for that HASH in the built message.
  Bytes EncodeChain(size_t first_index = 0) const;
  // The whole chain followed by zero bytes up to a multiple of `block_size`
  // (RFC 2409 Appendix B), ready for CBC encryption. A chain already at a
  // multiple gets no padding.
  Bytes BuildBody(size_t block_size) const;
  // The plaintext message: header (E flag as given) and the chain.
  Bytes Build() const;
  // The header with the E flag set, the first payload's type and the total
  // length, followed by `ciphertext` (the encrypted BuildBody()).
  Bytes BuildEncrypted(ByteView ciphertext) const;
  const IsakmpHeader& header() const { return header_; }

 private:
  struct Entry {
    PayloadType type;
    Bytes body;
  };
  IsakmpHeader header_;
  std::vector<Entry> payloads_;
};

// Returns `header` with its length set to 28 + body size, followed by `body`.
// For an encrypted message set kFlagEncryption in header.flags and pass the
// ciphertext. The header's next_payload is kept as given.
Bytes EncodeMessage(IsakmpHeader header, ByteView body);

}  // namespace ipop::ike

#endif  // IPOP_IKE_MESSAGE_H_
