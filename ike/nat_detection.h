// NAT traversal in IKE, RFC 3947: choosing the NAT-T version from the vendor
// IDs both sides sent, and NAT discovery with NAT-D hashes.
#ifndef IPOP_IKE_NAT_DETECTION_H_
#define IPOP_IKE_NAT_DETECTION_H_

#include <cstdint>
#include <span>

#include "base/bytes.h"
#include "base/ip_address.h"
#include "crypto/algorithms.h"
#include "ike/constants.h"
#include "ike/vendor_ids.h"

namespace ipop::ike {

enum class NatTraversalVersion { kNone, kDraft02, kDraft03, kRfc3947 };

// Maps a NAT-T vendor ID to its version (kNone for other IDs).
NatTraversalVersion NatTraversalVersionOf(KnownVendorId id);

// The NAT-T vendor IDs we send in Main Mode message 1, newest first, so
// that a peer that supports only a draft still finds one in the list.
inline constexpr KnownVendorId kNatTraversalVendorIdsSent[] = {
    KnownVendorId::kRfc3947, KnownVendorId::kNatTDraft03, KnownVendorId::kNatTDraft02Newline,
    KnownVendorId::kNatTDraft02};

// Picks the NAT-T vendor ID to use from those a peer sent: RFC 3947 when
// offered, else the newest draft, and of two equal drafts the first
// received. Returns kUnknown when the peer sent no NAT-T vendor ID.
KnownVendorId SelectNatTraversalVendorId(std::span<const KnownVendorId> received);

// The NAT-D and NAT-OA payload types and UDP encapsulation modes of each
// version: 20/21 and 3/4 for RFC 3947, 130/131 and 61443/61444 for drafts
// (RFC 3947 §3.2, §5.1, §5.2).
PayloadType NatDPayloadType(NatTraversalVersion version);
PayloadType NatOaPayloadType(NatTraversalVersion version);
uint16_t UdpTransportEncapsulationMode(NatTraversalVersion version);
uint16_t UdpTunnelEncapsulationMode(NatTraversalVersion version);

// Computes HASH(CKY-I | CKY-R | IP | Port), RFC 3947 §3.2, with the
// negotiated phase 1 hash; address and port in network byte order.
Bytes ComputeNatDHash(crypto::HashAlgorithm hash, const Cookie& initiator_cookie, const Cookie& responder_cookie,
                      const Endpoint& endpoint);

struct NatDetectionResult {
  bool local_behind_nat = false;  // the peer saw another address for us
  bool peer_behind_nat = false;   // the peer's address differs from what it saw
  bool any_nat() const { return local_behind_nat || peer_behind_nat; }
};

// Compares the NAT-D hashes a peer sent with the addresses of the datagram
// they arrived in. RFC 3947 §3.2: the first hash covers the datagram's
// destination, which is our address as the peer addressed it. The others
// cover the addresses the peer may send from. `local` is the destination and `remote`
// the source of the received datagram. Hashes are compared in constant time.
NatDetectionResult DetectNat(crypto::HashAlgorithm hash, const Cookie& initiator_cookie,
                             const Cookie& responder_cookie, const Endpoint& local, const Endpoint& remote,
                             std::span<const Bytes> received_hashes);

}  // namespace ipop::ike

#endif  // IPOP_IKE_NAT_DETECTION_H_

