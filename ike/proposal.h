// Proposals and transforms as plain values: what we offer from the
// configuration, and which of a peer's offers we accept. The translation to
// and from SA payload attributes lives in sa_attributes.h.
#ifndef IPOP_IKE_PROPOSAL_H_
#define IPOP_IKE_PROPOSAL_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "config/runtime_config.h"
#include "crypto/algorithms.h"

namespace ipop::ike {

// One phase 1 transform (RFC 2409 Appendix A attributes).
using Phase1Transform = config::Phase1Proposal;

// One ESP transform of a Quick Mode proposal (RFC 2407 §4.4.4 and §4.5).
struct EspTransform {
  crypto::EspCipher cipher = crypto::EspCipher::k3desCbc;
  size_t key_bits = 0;  // 128 or 256 for AES-CBC and AES-GCM, else 0
  // kNone for AES-GCM, which carries no Authentication Algorithm attribute.
  crypto::EspIntegrity integrity = crypto::EspIntegrity::kHmacSha1_96;
  std::optional<crypto::DhGroup> pfs_group;
  bool udp_encapsulated = false;  // UDP-encapsulated mode after a NAT was detected
  bool tunnel = false;            // tunnel mode (RFC 2407 §4.5), else transport mode
  std::chrono::seconds lifetime{3600};
  uint64_t lifetime_kilobytes = 0;  // 0: no byte limit
  // Set by SelectEsp when the responder cut the offered lifetime under
  // `proposal_check claim` and must send RESPONDER-LIFETIME.
  bool lifetime_shortened = false;
};

bool SamePhase1Algorithms(const Phase1Transform& a, const Phase1Transform& b);
// Compares integrity algorithms as the wire carries them, so HMAC-SHA2-256
// with a 96-bit and a 128-bit ICV are the same algorithm here.
bool SameEspAlgorithms(const EspTransform& a, const EspTransform& b);

// Renders "3DES-CBC/SHA1/MODP1024/rsasig" for logs and `ipop-esp sa`.
std::string DescribePhase1(const Phase1Transform& transform);
// Renders "ESP 3DES-CBC/HMAC-SHA1-96 PFS MODP1024".
std::string DescribeEsp(const EspTransform& transform);

// Returns the phase 1 transforms we offer to `remote`, in its order of
// `proposal` blocks.
std::vector<Phase1Transform> BuildPhase1Offer(const config::RemoteConfig& remote);

// Selects the first of the peer's transforms that equals one of our
// proposals in cipher, key length, hash, authentication method and group,
// and whose lifetime remote.proposal_check accepts (see lifetime.h). The
// result carries the lifetime our SA uses. Fails with NO-PROPOSAL-CHOSEN.
Result<Phase1Transform> SelectPhase1(const std::vector<Phase1Transform>& offered,
                                     const config::RemoteConfig& remote);

// Returns the ESP transforms we offer from `sainfo`: every encryption
// algorithm with every authentication algorithm, in configuration order,
// except AES-GCM, which is offered once without one. AES without a key
// length is offered as AES-128.
std::vector<EspTransform> BuildEspOffer(const config::SainfoConfig& sainfo, bool udp_encapsulated,
                                        bool tunnel = false);

// Selects the first of the peer's ESP transforms that `sainfo` allows. The
// PFS group must equal sainfo's pfs_group when it is set; without one the
// peer's group is accepted. The encapsulation mode must equal
// `udp_encapsulated`, and tunnel mode must equal `tunnel`. The lifetime
// must pass `proposal_check` (see lifetime.h), and the result carries the
// lifetime our SAs use. The result carries sainfo's integrity algorithm, so
// an HMAC-SHA2-256 offer becomes kHmacSha256_96 when sainfo lists
// hmac_sha256_96.
Result<EspTransform> SelectEsp(const std::vector<EspTransform>& offered,
                               const config::SainfoConfig& sainfo, bool udp_encapsulated,
                               bool tunnel = false,
                               config::ProposalCheck proposal_check = config::ProposalCheck::kObey);

}  // namespace ipop::ike

#endif  // IPOP_IKE_PROPOSAL_H_
