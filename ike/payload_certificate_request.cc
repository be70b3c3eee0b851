#include "ike/payload_certificate_request.h"

#include "base/byte_reader.h"
#include "base/byte_writer.h"

namespace ipop::ike {

Result<CertificateRequestPayload> ParseCertificateRequestPayload(ByteView body) {
  ByteReader reader(body);
  CertificateRequestPayload payload;
  if (!reader.ReadU8(payload.certificate_type)) {
    return Fail(ErrorCode::kMalformed, "certificate request payload is empty", kNotifyPayloadMalformed);
  }
  const ByteView authority = reader.Remaining();
  payload.authority.assign(authority.begin(), authority.end());
  return payload;
}

Bytes EncodeBody(const CertificateRequestPayload& payload) {
  ByteWriter out;
  out.WriteU8(payload.certificate_type);
  out.WriteBytes(payload.authority);
  return out.Take();
}

}  // namespace ipop::ike
