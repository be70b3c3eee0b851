// XFRM netlink requests built over libmnl, and the parser for the policies
// the kernel sends back. This is the message layer of the XFRM kernel
// backend; the SA messages are in xfrm_sa_message.h.
#ifndef IPOP_ESP_XFRM_XFRM_MESSAGE_H_
#define IPOP_ESP_XFRM_XFRM_MESSAGE_H_

#include <linux/netlink.h>
#include <linux/xfrm.h>

#include <array>
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/error.h"

namespace ipop::esp::xfrm {

// One kernel security policy, as XFRM_MSG_NEWPOLICY and the dump describe it.
struct KernelPolicy {
  xfrm_selector selector{};
  uint8_t direction = XFRM_POLICY_OUT;
  uint8_t action = XFRM_POLICY_ALLOW;
  uint32_t priority = 0;
  // 0 lets the kernel choose. A chosen index must carry the direction in its
  // low 3 bits, and the kernel silently picks another one when it is in use.
  uint32_t index = 0;
  uint8_t type = XFRM_POLICY_TYPE_MAIN;
  // Set for an "ipsec ... require" policy. An allow policy without it
  // passes cleartext.
  std::optional<xfrm_user_tmpl> esp_template;
  // Set when the kernel reports XFRMA_MARK or XFRMA_IF_ID: such a policy
  // applies only to marked packets or to one XFRM interface.
  bool has_mark_or_interface = false;
};

// A netlink request in a buffer of its own, aligned for libmnl.
class XfrmMessage {
 public:
  // Large enough for a policy with one template and the type attribute.
  static constexpr size_t kBufferSize = 1024;

  XfrmMessage(uint16_t type, uint16_t flags, uint32_t sequence);
  XfrmMessage(const XfrmMessage& other);
  XfrmMessage& operator=(const XfrmMessage& other);
  // Wipes the buffer, because SA requests carry keys.
  ~XfrmMessage();

  // Zeroes the whole buffer, keys included, and leaves an empty header.
  void Wipe();

  nlmsghdr* header() { return header_; }
  const nlmsghdr* header() const { return header_; }
  // The encoded message, nlmsg_len bytes long.
  ByteView bytes() const;

 private:
  alignas(nlmsghdr) std::array<std::byte, kBufferSize> buffer_{};
  nlmsghdr* header_ = nullptr;
};

// XFRM_MSG_UPDPOLICY: adds `policy`, or replaces the policy with the same
// selector, direction and type (which keeps its old index).
XfrmMessage BuildUpdatePolicy(const KernelPolicy& policy, uint32_t sequence);

// XFRM_MSG_DELPOLICY by index. `direction` must match the index's low 3 bits.
XfrmMessage BuildDeletePolicy(uint32_t index, uint8_t direction, uint8_t type,
                              uint32_t sequence);

// XFRM_MSG_GETPOLICY with NLM_F_DUMP: the kernel replies with one
// XFRM_MSG_NEWPOLICY per policy, then NLMSG_DONE.
XfrmMessage BuildPolicyDump(uint32_t sequence);

// Reads an XFRM_MSG_NEWPOLICY or XFRM_MSG_UPDPOLICY message. Netlink
// payloads are kernel structs in host order, so the body is copied into
// xfrm_userpolicy_info after its length is checked.
Result<KernelPolicy> ParsePolicyMessage(const nlmsghdr* message);

}  // namespace ipop::esp::xfrm

#endif  // IPOP_ESP_XFRM_XFRM_MESSAGE_H_
