// A NETLINK_XFRM socket in the caller's network namespace, for requests that
// the kernel acknowledges and for dumps.
#ifndef IPOP_ESP_XFRM_XFRM_SOCKET_H_
#define IPOP_ESP_XFRM_XFRM_SOCKET_H_

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <string>

#include "base/error.h"
#include "esp/xfrm/xfrm_message.h"

struct mnl_socket;

namespace ipop::esp::xfrm {

class XfrmSocket {
 public:
  // Opens and binds the socket and enables extended acknowledgements
  // (NETLINK_EXT_ACK), so that errors carry the kernel's explanation.
  static Result<XfrmSocket> Open();

  XfrmSocket(XfrmSocket&& other) noexcept;
  XfrmSocket& operator=(XfrmSocket&& other) noexcept;
  XfrmSocket(const XfrmSocket&) = delete;
  XfrmSocket& operator=(const XfrmSocket&) = delete;
  ~XfrmSocket();

  // The next sequence number for a request on this socket.
  uint32_t NextSequence() { return ++sequence_; }

  // Sends `request` (which must ask for NLM_F_ACK) and waits for the
  // acknowledgement. A kernel error becomes kSystem with the errno text and
  // the extended-ack message, e.g. "Invalid argument (Policy index doesn't
  // match direction)", unless it equals `ignored_errno` (0 ignores none).
  Result<void> Request(const XfrmMessage& request, int ignored_errno = 0);

  // Sends `request` (with NLM_F_ACK) and calls `on_message` for each reply
  // that comes before the acknowledgement, as XFRM_MSG_ALLOCSPI sends one.
  Result<void> RequestWithReply(const XfrmMessage& request,
                                const std::function<Result<void>(const nlmsghdr*)>& on_message);

  // Sends a request that carries keys and wipes it afterwards, whether the
  // kernel accepted it or not.
  Result<void> RequestAndWipe(XfrmMessage& request);

  // The errno of the last kernel error reply (0 after a success), so callers
  // can tell ENOENT (no such algorithm) and EINVAL from other failures.
  int last_errno() const { return last_errno_; }

  // Sends a dump request and calls `on_message` for every reply until
  // NLMSG_DONE. After `on_message` returns an error, the rest of the dump is
  // read and skipped, and that error is returned.
  Result<void> Dump(const XfrmMessage& request,
                    const std::function<Result<void>(const nlmsghdr*)>& on_message);

 private:
  explicit XfrmSocket(mnl_socket* socket);
  Result<void> Send(const XfrmMessage& request);

  mnl_socket* socket_ = nullptr;
  uint32_t port_id_ = 0;
  uint32_t sequence_ = 0;
  int last_errno_ = 0;
};

}  // namespace ipop::esp::xfrm

#endif  // IPOP_ESP_XFRM_XFRM_SOCKET_H_
