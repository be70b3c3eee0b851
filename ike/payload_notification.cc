#include "ike/payload_notification.h"

#include <cassert>
#include <string>

#include "base/byte_reader.h"
#include "base/byte_writer.h"

namespace ipop::ike {

Result<NotificationPayload> ParseNotificationPayload(ByteView body) {
  ByteReader reader(body);
  NotificationPayload payload;
  uint8_t spi_size = 0;
  if (!reader.ReadU32(payload.doi) || !reader.ReadU8(payload.protocol_id) || !reader.ReadU8(spi_size) ||
      !reader.ReadU16(payload.notify_type)) {
    return Fail(ErrorCode::kMalformed, "notification payload truncated (" + std::to_string(body.size()) + " < 8 bytes)",
                kNotifyPayloadMalformed);
  }
  ByteView spi;
  if (!reader.ReadBytes(spi_size, spi)) {
    return Fail(ErrorCode::kMalformed,
                "notification SPI of " + std::to_string(spi_size) + " bytes exceeds the " +
                    std::to_string(reader.remaining_size()) + " bytes left",
                kNotifyPayloadMalformed);
  }
  payload.spi.assign(spi.begin(), spi.end());
  const ByteView data = reader.Remaining();
  payload.data.assign(data.begin(), data.end());
  return payload;
}

Bytes EncodeBody(const NotificationPayload& payload) {
  assert(payload.spi.size() <= UINT8_MAX);
  ByteWriter out;
  out.WriteU32(payload.doi);
  out.WriteU8(payload.protocol_id);
  out.WriteU8(static_cast<uint8_t>(payload.spi.size()));
  out.WriteU16(payload.notify_type);
  out.WriteBytes(payload.spi);
  out.WriteBytes(payload.data);
  return out.Take();
}

}  // namespace ipop::ike
