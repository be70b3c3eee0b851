// Vendor IDs that change protocol behaviour (RFC 2408 §3.16): the NAT-T
// versions, DPD and IKE fragmentation. Other vendor IDs are ignored.
#ifndef IPOP_IKE_VENDOR_IDS_H_
#define IPOP_IKE_VENDOR_IDS_H_

#include <cstdint>
#include <optional>

#include "base/bytes.h"

namespace ipop::ike {

enum class KnownVendorId {
  kUnknown,
  kRfc3947,             // MD5("RFC 3947"), RFC 3947 §3.1
  kNatTDraft02,         // MD5("draft-ietf-ipsec-nat-t-ike-02")
  kNatTDraft02Newline,  // MD5("draft-ietf-ipsec-nat-t-ike-02\n"), a variant
                        // racoon sends in Main Mode message 1
  kNatTDraft03,         // MD5("draft-ietf-ipsec-nat-t-ike-03")
  kDpd,                 // RFC 3706 §5.1, version 1.0
  kIkeFragmentation,    // MD5("FRAGMENTATION"), Cisco's IKE fragmentation
};

// Returns the 16 bytes we send for `id` (kUnknown: empty). For IKE
// fragmentation see FragmentationVendorId.
Bytes VendorIdBytes(KnownVendorId id);

// The fragmentation vendor ID followed by 4 bytes of capability flags.
// NOTE: 0xc0000000 is the value reported for ipsec-tools racoon; the racoon
// capture in tests/vectors has no fragmentation vendor ID to confirm it.
inline constexpr uint32_t kFragmentationFlagsRacoon = 0xc0000000;
Bytes FragmentationVendorId(uint32_t flags);

// Recognises a received vendor ID. All known IDs match exactly, except IKE
// fragmentation, which matches with or without the 4 flag bytes.
KnownVendorId RecognizeVendorId(ByteView data);

// Returns the capability flags of a fragmentation vendor ID that carries
// them, or nothing.
std::optional<uint32_t> FragmentationFlags(ByteView data);

const char* VendorIdName(KnownVendorId id);

}  // namespace ipop::ike

#endif  // IPOP_IKE_VENDOR_IDS_H_
