#include "ike/payload_delete.h"

#include <cassert>
#include <string>

#include "base/byte_reader.h"
#include "base/byte_writer.h"

namespace ipop::ike {

Result<DeletePayload> ParseDeletePayload(ByteView body) {
  ByteReader reader(body);
  DeletePayload payload;
  uint16_t spi_count = 0;
  if (!reader.ReadU32(payload.doi) || !reader.ReadU8(payload.protocol_id) || !reader.ReadU8(payload.spi_size) ||
      !reader.ReadU16(spi_count)) {
    return Fail(ErrorCode::kMalformed, "delete payload truncated (" + std::to_string(body.size()) + " < 8 bytes)",
                kNotifyPayloadMalformed);
  }
  if (spi_count == 0 || payload.spi_size == 0) {
    return Fail(ErrorCode::kMalformed,
                "delete payload names no SA (" + std::to_string(spi_count) + " SPIs of " +
                    std::to_string(payload.spi_size) + " bytes)",
                kNotifyPayloadMalformed);
  }
  const size_t expected = static_cast<size_t>(spi_count) * payload.spi_size;
  if (reader.remaining_size() != expected) {
    return Fail(ErrorCode::kMalformed,
                "delete payload declares " + std::to_string(spi_count) + " SPIs of " +
                    std::to_string(payload.spi_size) + " bytes but carries " +
                    std::to_string(reader.remaining_size()) + " bytes",
                kNotifyPayloadMalformed);
  }
  for (size_t i = 0; i < spi_count; ++i) {
    ByteView spi;
    if (!reader.ReadBytes(payload.spi_size, spi)) {
      return Fail(ErrorCode::kMalformed, "delete payload SPI truncated", kNotifyPayloadMalformed);
    }
    payload.spis.emplace_back(spi.begin(), spi.end());
  }
  return payload;
}

Bytes EncodeBody(const DeletePayload& payload) {
  assert(payload.spis.size() <= UINT16_MAX);
  ByteWriter out;
  out.WriteU32(payload.doi);
  out.WriteU8(payload.protocol_id);
  out.WriteU8(payload.spi_size);
  out.WriteU16(static_cast<uint16_t>(payload.spis.size()));
  for (const Bytes& spi : payload.spis) {
    assert(spi.size() == payload.spi_size);
    out.WriteBytes(spi);
  }
  return out.Take();
}

}  // namespace ipop::ike
