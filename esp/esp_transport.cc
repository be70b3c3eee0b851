#include "esp/esp_transport.h"

#include <algorithm>
#include <cstring>

#include "base/byte_reader.h"

namespace ipop::esp {
namespace {

// RFC 4303 §2.6: next header 59 ("no next header") marks a dummy packet.
constexpr uint8_t kNoNextHeader = 59;

// Returns the length of the encrypted part for `payload_length` bytes:
// payload, padding and trailer rounded up to the block size (RFC 4303 §2.4).
size_t PaddedLength(size_t payload_length, size_t block_size) {
  const size_t unpadded = payload_length + kEspTrailerLength;
  return (unpadded + block_size - 1) / block_size * block_size;
}

}  // namespace

size_t EspOverhead(const crypto::EspCrypto& crypto, size_t payload_length) {
  return EspLength(crypto, payload_length) - payload_length;
}

size_t EspLength(const crypto::EspCrypto& crypto, size_t payload_length) {
  return kEspHeaderLength + crypto.iv_size() + PaddedLength(payload_length, crypto.block_size()) +
         crypto.icv_size();
}

std::expected<void, DropReason> SealEspPayload(ByteView payload, uint8_t next_header,
                                               SecurityAssociation& sa, size_t worker,
                                               MutableByteView out) {
  crypto::EspCrypto& crypto = sa.crypto(worker);
  const size_t payload_length = payload.size();
  const size_t iv_length = crypto.iv_size();
  const size_t encrypted_length = PaddedLength(payload_length, crypto.block_size());
  const size_t esp_length = kEspHeaderLength + iv_length + encrypted_length + crypto.icv_size();
  if (esp_length > out.size()) {
    return std::unexpected(DropReason::kTooBig);
  }

  const std::optional<uint32_t> sequence = sa.NextSequence();
  if (!sequence) {
    return std::unexpected(DropReason::kSequenceExhausted);
  }

  MutableByteView esp = out.first(esp_length);
  StoreU32(esp.subspan(0, 4), sa.spi());
  StoreU32(esp.subspan(4, 4), *sequence);

  // Plaintext: payload, then the monotonic padding 1, 2, 3, ... of
  // RFC 4303 §2.4, pad length and next header. Seal fills the IV and ICV.
  MutableByteView plaintext = esp.subspan(kEspHeaderLength + iv_length, encrypted_length);
  std::memcpy(plaintext.data(), payload.data(), payload_length);
  const size_t pad_length = encrypted_length - payload_length - kEspTrailerLength;
  for (size_t i = 0; i < pad_length; ++i) {
    plaintext[payload_length + i] = static_cast<std::byte>(i + 1);
  }
  plaintext[encrypted_length - 2] = static_cast<std::byte>(pad_length);
  plaintext[encrypted_length - 1] = static_cast<std::byte>(next_header);

  if (!crypto.Seal(esp)) {
    return std::unexpected(DropReason::kSealFailed);
  }
  return {};
}

std::expected<Ipv4Header, DropReason> ParseOutgoingPacket(ByteView inner) {
  if (IpVersion(inner) != kIpv4Version) {
    return std::unexpected(DropReason::kNotIpv4);
  }
  const std::optional<Ipv4Header> header = ParseIpv4Header(inner);
  if (!header) {
    return std::unexpected(DropReason::kMalformed);
  }
  return *header;
}

std::expected<size_t, DropReason> EncapsulateTransport(ByteView inner, SecurityAssociation& sa,
                                                       size_t worker, MutableByteView out) {
  const std::expected<Ipv4Header, DropReason> header = ParseOutgoingPacket(inner);
  if (!header) {
    return std::unexpected(header.error());
  }
  if (header->fragment) {
    return std::unexpected(DropReason::kFragment);
  }

  const size_t header_length = header->header_length;
  const size_t payload_length = header->total_length - header_length;
  const size_t total_length = header_length + EspLength(sa.crypto(worker), payload_length);
  if (total_length > kIpv4MaxPacketLength || total_length > out.size()) {
    return std::unexpected(DropReason::kTooBig);
  }

  // IPv4 header with options, unchanged until the rewrite below.
  std::memcpy(out.data(), inner.data(), header_length);
  auto sealed = SealEspPayload(inner.subspan(header_length, payload_length), header->protocol, sa,
                               worker, out.subspan(header_length));
  if (!sealed) {
    return std::unexpected(sealed.error());
  }

  RewriteIpv4Header(out.first(header_length), static_cast<uint16_t>(total_length),
                    kIpProtocolEsp);
  sa.CountPacket(payload_length);
  return total_length;
}

std::expected<EspPacketInfo, DropReason> ParseEspPacket(ByteView packet) {
  const std::optional<Ipv4Header> header = ParseIpv4Header(packet);
  if (!header || header->protocol != kIpProtocolEsp || header->fragment) {
    return std::unexpected(DropReason::kMalformed);
  }

  ByteReader reader(packet.subspan(header->header_length,
                                   header->total_length - header->header_length));
  EspPacketInfo info;
  info.outer = *header;
  if (!reader.ReadU32(info.spi) || !reader.ReadU32(info.sequence)) {
    return std::unexpected(DropReason::kMalformed);
  }
  return info;
}

std::expected<OpenedEsp, DropReason> OpenEspPayload(const EspPacketInfo& info,
                                                    SecurityAssociation& sa, size_t worker,
                                                    MutableByteView packet) {
  crypto::EspCrypto& crypto = sa.crypto(worker);
  const size_t header_length = info.outer.header_length;
  MutableByteView esp =
      packet.subspan(header_length, info.outer.total_length - header_length);

  // Length checks before any crypto: the encrypted part must hold at least
  // the trailer and be whole blocks (RFC 4303 §2.4).
  const size_t iv_length = crypto.iv_size();
  const size_t fixed_length = kEspHeaderLength + iv_length + crypto.icv_size();
  if (esp.size() < fixed_length + kEspTrailerLength) {
    return std::unexpected(DropReason::kMalformed);
  }
  const size_t encrypted_length = esp.size() - fixed_length;
  if (encrypted_length % crypto.block_size() != 0) {
    return std::unexpected(DropReason::kMalformed);
  }

  // RFC 4303 §3.4.3: check the window before the ICV, commit after it.
  if (sa.CheckReplay(info.sequence) != ReplayVerdict::kAccept) {
    sa.CountReplayDrop();
    return std::unexpected(DropReason::kReplay);
  }
  if (!crypto.Open(esp)) {
    sa.CountIntegrityDrop();
    return std::unexpected(DropReason::kIntegrity);
  }
  if (!sa.CommitReplay(info.sequence)) {
    sa.CountReplayDrop();
    return std::unexpected(DropReason::kReplay);
  }

  MutableByteView plaintext = esp.subspan(kEspHeaderLength + iv_length, encrypted_length);
  const size_t pad_length = std::to_integer<uint8_t>(plaintext[encrypted_length - 2]);
  const uint8_t next_header = std::to_integer<uint8_t>(plaintext[encrypted_length - 1]);
  if (pad_length + kEspTrailerLength > encrypted_length) {
    return std::unexpected(DropReason::kBadTrailer);
  }
  const size_t payload_length = encrypted_length - kEspTrailerLength - pad_length;
  for (size_t i = 0; i < pad_length; ++i) {
    if (std::to_integer<uint8_t>(plaintext[payload_length + i]) != i + 1) {
      return std::unexpected(DropReason::kBadPadding);
    }
  }
  if (next_header == kNoNextHeader) {
    return std::unexpected(DropReason::kDummyPacket);
  }
  return OpenedEsp{.payload = plaintext.first(payload_length), .next_header = next_header};
}

std::expected<MutableByteView, DropReason> DecapsulateTransport(const EspPacketInfo& info,
                                                                SecurityAssociation& sa,
                                                                size_t worker,
                                                                MutableByteView packet) {
  auto opened = OpenEspPayload(info, sa, worker, packet);
  if (!opened) {
    return std::unexpected(opened.error());
  }

  // Slide the IPv4 header forward so that it ends where the payload begins,
  // then turn it back into the inner packet's header.
  const size_t header_length = info.outer.header_length;
  const size_t payload_length = opened->payload.size();
  const size_t shift = static_cast<size_t>(opened->payload.data() - packet.data()) - header_length;
  std::memmove(packet.data() + shift, packet.data(), header_length);
  MutableByteView inner = packet.subspan(shift, header_length + payload_length);
  RewriteIpv4Header(inner.first(header_length),
                    static_cast<uint16_t>(header_length + payload_length), opened->next_header);
  sa.CountPacket(payload_length);
  return inner;
}

}  // namespace ipop::esp
