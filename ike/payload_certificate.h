// Certificate payload, RFC 2408 §3.9:
//  ! Next Payload  !   RESERVED    !         Payload Length        !
//  ! Cert Encoding !                                               !
//  +-+-+-+-+-+-+-+-+                                               !
//  ~                       Certificate Data                        ~
//
// With encoding 4 (X.509 signature) the data is one DER certificate.
#ifndef IPOP_IKE_PAYLOAD_CERTIFICATE_H_
#define IPOP_IKE_PAYLOAD_CERTIFICATE_H_

#include <cstdint>

#include "base/bytes.h"
#include "base/error.h"
#include "ike/constants.h"

namespace ipop::ike {

struct CertificatePayload {
  static constexpr PayloadType kType = PayloadType::kCertificate;

  uint8_t encoding = kCertEncodingX509Signature;
  Bytes data;

  bool operator==(const CertificatePayload&) const = default;
};

// Fails with PAYLOAD-MALFORMED when
// the body is empty or carries an encoding but no certificate data. The
// encoding is not checked here: the exchange answers an unsupported one with
// CERT-TYPE-UNSUPPORTED.
Result<CertificatePayload> ParseCertificatePayload(ByteView body);
Bytes EncodeBody(const CertificatePayload& payload);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PAYLOAD_CERTIFICATE_H_
