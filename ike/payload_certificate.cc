#include "ike/payload_certificate.h"

#include "base/byte_reader.h"
#include "base/byte_writer.h"

namespace ipop::ike {

Result<CertificatePayload> ParseCertificatePayload(ByteView body) {
  ByteReader reader(body);
  CertificatePayload payload;
  if (!reader.ReadU8(payload.encoding)) {
    return Fail(ErrorCode::kMalformed, "certificate payload is empty", kNotifyPayloadMalformed);
  }
  if (reader.empty()) {
    return Fail(ErrorCode::kMalformed, "certificate payload has no certificate data", kNotifyPayloadMalformed);
  }
  const ByteView data = reader.Remaining();
  payload.data.assign(data.begin(), data.end());
  return payload;
}

Bytes EncodeBody(const CertificatePayload& payload) {
  ByteWriter out;
  out.WriteU8(payload.encoding);
  out.WriteBytes(payload.data);
  return out.Take();
}

}  // namespace ipop::ike
