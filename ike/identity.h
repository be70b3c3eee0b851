// Phase 1 identities: the ID payload we send for `my_identifier`, and the
// checks on the peer's ID against its certificate and `peers_identifier`.
//
// ID types per RFC 2407 §4.6.2.1, with racoon.conf's names:
//   address    ID_IPV4_ADDR      4 address bytes
//   fqdn       ID_FQDN           "host.example.org"
//   user_fqdn  ID_USER_FQDN      "user@example.org"
//   keyid      ID_KEY_ID         opaque bytes
//   asn1dn     ID_DER_ASN1_DN    DER Name (RFC 2407 §4.6.2.10)
#ifndef IPOP_IKE_IDENTITY_H_
#define IPOP_IKE_IDENTITY_H_

#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/ip_address.h"
#include "config/runtime_config.h"
#include "crypto/x509.h"
#include "ike/payload_identification.h"

namespace ipop::ike {

// Builds the ID payload for `identifier`. `local_address` is the default
// of the address type, and `certificate` (null when none is loaded) gives
// the name of asn1dn without a value. Fails when a value does not fit its
// type.
Result<IdentificationPayload> MakeOwnIdentity(const config::Identifier& identifier, Ipv4Address local_address,
                                              const crypto::Certificate* certificate);

// The racoon.conf name of an ID type ("address", "asn1dn", ...), or "ID
// type N" for types racoon.conf cannot name.
std::string IdTypeName(uint8_t id_type);

// The value of an ID for logs: the address, the name, the DN in the
// "/O=x/CN=y" form, or the hex bytes of a key ID that is not printable.
std::string IdentityText(const IdentificationPayload& id);

// "TYPE VALUE" for an ID payload and for a configured identifier, so that
// log lines name both sides of a comparison the same way.
std::string DescribeIdentity(const IdentificationPayload& id);
std::string DescribeIdentifier(const config::Identifier& identifier);

// Checks that `certificate` carries the identity `id`, as racoon does when
// verify_cert is on. An asn1dn must equal the subject (compared as a DN).
// An address must be one of the iPAddress subjectAltNames, an fqdn a
// dNSName (ASCII case does not matter) and a user_fqdn an rfc822Name.
// Other types cannot be bound to a certificate and fail. Failures carry
// INVALID-ID-INFORMATION.
Result<void> CheckCertificateCarriesId(const IdentificationPayload& id, const crypto::Certificate& certificate);

// Compares the peer's ID with `peers_identifier` (verify_identifier on).
// Without a value, address means the peer's address and asn1dn the subject
// of `peer_certificate` (null with pre-shared keys). An asn1dn value may
// use `*` for any value of an attribute. Fails with INVALID-ID-INFORMATION
// and a detail that names both identities.
Result<void> CheckPeersIdentifier(const IdentificationPayload& id, const config::Identifier& expected,
                                  Ipv4Address peer_address, const crypto::Certificate* peer_certificate);

}  // namespace ipop::ike

#endif  // IPOP_IKE_IDENTITY_H_
