// Certificate Request payload, RFC 2408 §3.10:
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  !  Cert. Type   !                                               !
//  +-+-+-+-+-+-+-+-+                                               !
//  ~                    Certificate Authority                      ~
//
// For X.509 the authority is the DER-encoded subject Name of an acceptable
// CA; it may be empty, meaning any CA.
#ifndef IPOP_IKE_PAYLOAD_CERTIFICATE_REQUEST_H_
#define IPOP_IKE_PAYLOAD_CERTIFICATE_REQUEST_H_

#include <cstdint>

#include "base/bytes.h"
#include "base/error.h"
#include "ike/constants.h"

namespace ipop::ike {

struct CertificateRequestPayload {
  static constexpr PayloadType kType = PayloadType::kCertificateRequest;

  uint8_t certificate_type = kCertEncodingX509Signature;
  Bytes authority;  // DER Name of the CA, or empty

  bool operator==(const CertificateRequestPayload&) const = default;
};

// Fails with PAYLOAD-MALFORMED when the body is empty.
Result<CertificateRequestPayload> ParseCertificateRequestPayload(ByteView body);
Bytes EncodeBody(const CertificateRequestPayload& payload);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_CERTIFICATE_REQUEST_H_
