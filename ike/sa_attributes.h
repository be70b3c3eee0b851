// Translation between SA payloads (payload_sa.h) and the plain transforms of
// proposal.h: phase 1 attributes per RFC 2409 Appendix A, ESP attributes per
// RFC 2407 §4.5. Values we do not implement make a transform unusable, never
// the whole payload, so a peer that offers them alongside ours still works.
#ifndef IPOP_IKE_SA_ATTRIBUTES_H_
#define IPOP_IKE_SA_ATTRIBUTES_H_

#include <cstdint>
#include <vector>

#include "base/error.h"
#include "ike/payload_sa.h"
#include "ike/proposal.h"

namespace ipop::ike {

// A phase 1 transform as offered, with the wire form to echo in the reply.
struct OfferedPhase1Transform {
  Phase1Transform value;
  Transform wire;
};

// A phase 2 alternative: one ESP proposal and one of its transforms.
struct OfferedEspTransform {
  EspTransform value;
  uint8_t proposal_number = 1;
  uint32_t spi = 0;  // the offering side's inbound SPI
  Transform wire;
};

// Builds the Main Mode SA: one ISAKMP proposal, one transform per entry,
// attributes in racoon's order (life type, life duration, encryption, key
// length, authentication method, hash, group).
SaPayload EncodePhase1Sa(const std::vector<Phase1Transform>& transforms);

// Returns the usable transforms of a Main Mode SA. Fails with
// BAD-PROPOSAL-SYNTAX unless there is exactly one ISAKMP proposal (RFC 2409
// §5: phase 1 offers a single proposal), and with NO-PROPOSAL-CHOSEN when no
// transform decodes to algorithms we implement.
Result<std::vector<OfferedPhase1Transform>> DecodePhase1Sa(const SaPayload& payload);

// Builds the reply SA of a Main Mode responder: the chosen transform as the
// initiator sent it.
SaPayload EncodePhase1Reply(const Transform& chosen);

// Builds a Quick Mode SA with one ESP proposal carrying `spi` and one
// transform per entry.
// `udp_transport_mode` is the Encapsulation Mode value written for
// UDP-encapsulated transport-mode transforms: 4 with RFC 3947, 61444 with
// the drafts. UDP-encapsulated tunnel-mode transforms get 3 or 61443 to
// match.
SaPayload EncodeEspSa(const std::vector<EspTransform>& transforms, uint32_t spi,
                      uint16_t udp_transport_mode = kEncapsulationUdpTransport);

// Returns every usable ESP transform of a Quick Mode SA, in offer order.
// Alternatives that bundle ESP with another protocol (AH, IPComp) are
// skipped because this implementation negotiates ESP alone.
Result<std::vector<OfferedEspTransform>> DecodeEspSa(const SaPayload& payload);

// Builds the reply SA of a Quick Mode responder: the chosen proposal number
// with our inbound SPI and the chosen transform as the initiator sent it.
SaPayload EncodeEspReply(const OfferedEspTransform& chosen, uint32_t our_spi);

}  // namespace ipop::ike

#endif  // IPOP_IKE_SA_ATTRIBUTES_H_
