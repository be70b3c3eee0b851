// XFRM netlink requests for ESP states (SAs): XFRM_MSG_NEWSA/UPDSA,
// XFRM_MSG_DELSA, XFRM_MSG_ALLOCSPI and the XFRM_MSG_GETSA dump, plus the
// parsers for what the kernel sends back (states, ACQUIRE and EXPIRE
// events). One builder per attribute, so each field the kernel reads is set
// in one place.
#ifndef IPOP_ESP_XFRM_XFRM_SA_MESSAGE_H_
#define IPOP_ESP_XFRM_XFRM_SA_MESSAGE_H_

#include <linux/netlink.h>
#include <linux/xfrm.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"
#include "base/ip_address.h"
#include "esp/kernel_seam.h"
#include "esp/xfrm/xfrm_message.h"

namespace ipop::esp::xfrm {

// UDP_ENCAP_ESPINUDP from <linux/udp.h>: ESP in UDP without the non-IKE
// marker (RFC 3948 §2.2). Spelled out because <linux/udp.h> and
// <netinet/udp.h> clash.
inline constexpr uint16_t kUdpEncapEspInUdp = 2;

// The lowest SPI XFRM_MSG_ALLOCSPI may return: 1-255 are reserved by IANA
// (RFC 4303 §2.1).
inline constexpr uint32_t kMinAllocatedSpi = 256;

// Appends XFRMA_ALG_CRYPT with `key` (the key length is given in bits).
void PutCryptAlgorithm(nlmsghdr* message, std::string_view name, ByteView key);

// Appends XFRMA_ALG_AUTH_TRUNC, which carries the truncated ICV length that
// the legacy XFRMA_ALG_AUTH cannot (that one implies the kernel's default,
// 96 bits for hmac(sha256) on old kernels).
void PutAuthTruncAlgorithm(nlmsghdr* message, std::string_view name, ByteView key,
                           uint32_t truncation_bits);

// Appends XFRMA_ALG_AEAD. For rfc4106(gcm(aes)) `key` is key || 4-byte salt.
void PutAeadAlgorithm(nlmsghdr* message, std::string_view name, ByteView key, uint32_t icv_bits);

// Appends XFRMA_REPLAY_ESN_VAL with a bitmap wide enough for `window`
// packets. The state's XFRM_STATE_ESN flag stays clear, so the kernel checks
// replay with 32-bit sequence numbers over that bitmap.
void PutReplayWindow(nlmsghdr* message, uint32_t window);

// Appends XFRMA_ENCAP for ESP in UDP (UDP_ENCAP_ESPINUDP) with the ports.
void PutUdpEncapsulation(nlmsghdr* message, const UdpEncapsulation& encapsulation);

// Maps byte and time limits to the kernel's form: 0 ("none") becomes an
// unlimited byte count and a time of 0, which the kernel reads as "never".
xfrm_lifetime_cfg MakeSaLifetime(const SaLifetime& lifetime);

// XFRM_MSG_NEWSA (or XFRM_MSG_UPDSA when `update`) for a transport- or
// tunnel-mode ESP SA with `reqid`. Rejects a replay window of 0 (which would
// switch anti-replay off), one above esp::kMaxReplayWindow (the
// userspace limit, so that both backends accept the same SAs), and algorithms
// without a kernel name. The returned message contains the keys. It wipes
// them when destroyed, and callers wipe it right after sending too.
Result<XfrmMessage> BuildNewSa(const EspSaConfig& config, uint32_t reqid, bool update,
                               uint32_t sequence);

// XFRM_MSG_DELSA for the ESP SA (`spi`, `destination`).
XfrmMessage BuildDeleteSa(uint32_t spi, Ipv4Address destination, uint32_t sequence);

// XFRM_MSG_ALLOCSPI: requests a free SPI in [kMinAllocatedSpi, 0xffffffff]
// for an inbound ESP SA from `source` to `destination`. The kernel replies
// with an XFRM_MSG_NEWSA describing a larval state that reserves the SPI.
XfrmMessage BuildAllocateSpi(Ipv4Address source, Ipv4Address destination, uint32_t reqid,
                             uint32_t sequence);

// XFRM_MSG_GETSA with NLM_F_DUMP.
XfrmMessage BuildSaDump(uint32_t sequence);

// A kernel state as XFRM_MSG_NEWSA describes it, without keys.
struct KernelSa {
  uint32_t spi = 0;  // host order
  uint8_t protocol = 0;
  Ipv4Address source;
  Ipv4Address destination;
  uint32_t reqid = 0;
  uint8_t mode = XFRM_MODE_TRANSPORT;
  uint32_t replay_window = 0;  // from XFRMA_REPLAY_ESN_VAL, else the legacy field
  std::string cipher_name;     // from XFRMA_ALG_CRYPT or XFRMA_ALG_AEAD
  std::string integrity_name;  // from XFRMA_ALG_AUTH_TRUNC or XFRMA_ALG_AUTH
  uint32_t icv_bits = 0;
  std::optional<UdpEncapsulation> encapsulation;
  xfrm_lifetime_cfg lifetime{};
  xfrm_lifetime_cur current{};  // bytes, packets, add time (seconds since epoch)
  xfrm_stats stats{};           // replay and integrity failures
};

// Reads an XFRM_MSG_NEWSA or XFRM_MSG_UPDSA message.
Result<KernelSa> ParseSaMessage(const nlmsghdr* message);

// Reads XFRM_MSG_ACQUIRE: the flow that matched a policy without a state,
// and the index of that policy.
struct KernelAcquire {
  Ipv4Address source;
  Ipv4Address destination;
  uint8_t protocol = 0;
  uint32_t policy_index = 0;
  uint8_t policy_direction = XFRM_POLICY_OUT;
};
Result<KernelAcquire> ParseAcquireMessage(const nlmsghdr* message);

// Reads XFRM_MSG_EXPIRE: which SA reached a soft or hard limit.
Result<SaExpire> ParseExpireMessage(const nlmsghdr* message);

}  // namespace ipop::esp::xfrm

#endif  // IPOP_ESP_XFRM_XFRM_SA_MESSAGE_H_
