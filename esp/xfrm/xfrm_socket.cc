#include "esp/xfrm/xfrm_socket.h"

#include <libmnl/libmnl.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

namespace ipop::esp::xfrm {
namespace {

// Result of the NLMSG_ERROR handler: the errno (0 for an acknowledgement)
// and the kernel's extended-ack text.
// Receive buffer for replies and dumps. A dump batch never exceeds the
// largest buffer the reader has used, and 32 KiB is libmnl's own choice
// for dumps (MNL_SOCKET_DUMP_SIZE, added after libmnl 1.0.4).
constexpr size_t kReceiveBufferSize = 32768;

struct AckState {
  int error = 0;
  std::string kernel_message;
};

struct DumpState {
  AckState ack;
  const std::function<Result<void>(const nlmsghdr*)>* on_message = nullptr;
  std::optional<Error> callback_error;
};

int CollectExtendedAck(const nlattr* attribute, void* data) {
  auto* ack = static_cast<AckState*>(data);
  if (mnl_attr_get_type(attribute) == NLMSGERR_ATTR_MSG &&
      mnl_attr_validate(attribute, MNL_TYPE_NUL_STRING) >= 0) {
    ack->kernel_message = mnl_attr_get_str(attribute);
  }
  return MNL_CB_OK;
}

// Handles NLMSG_ERROR: an error of 0 is the acknowledgement that ends a
// request. Extended-ack attributes follow the embedded request header, or the
// whole request when NLM_F_CAPPED is not set.
int HandleError(const nlmsghdr* message, void* data) {
  auto* ack = static_cast<AckState*>(data);
  if (mnl_nlmsg_get_payload_len(message) < sizeof(nlmsgerr)) {
    ack->error = EBADMSG;
    return MNL_CB_ERROR;
  }
  const auto* error = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(message));
  ack->error = -error->error;
  if ((message->nlmsg_flags & NLM_F_ACK_TLVS) != 0) {
    size_t offset = sizeof(nlmsgerr);
    if ((message->nlmsg_flags & NLM_F_CAPPED) == 0) {
      offset += error->msg.nlmsg_len - sizeof(nlmsghdr);
    }
    if (offset <= mnl_nlmsg_get_payload_len(message)) {
      mnl_attr_parse(message, offset, CollectExtendedAck, ack);
    }
  }
  return ack->error == 0 ? MNL_CB_STOP : MNL_CB_ERROR;
}

int HandleDone(const nlmsghdr* /*message*/, void* /*data*/) { return MNL_CB_STOP; }

int HandleOverrun(const nlmsghdr* /*message*/, void* /*data*/) {
  errno = ENOSPC;
  return MNL_CB_ERROR;
}

// Passing an array to mnl_cb_run2 replaces libmnl's defaults for every
// control type, so NLMSG_DONE and NLMSG_OVERRUN need handlers too.
std::array<mnl_cb_t, NLMSG_MIN_TYPE> MakeControlCallbacks(mnl_cb_t on_error) {
  std::array<mnl_cb_t, NLMSG_MIN_TYPE> callbacks{};
  callbacks[NLMSG_ERROR] = on_error;
  callbacks[NLMSG_DONE] = HandleDone;
  callbacks[NLMSG_OVERRUN] = HandleOverrun;
  return callbacks;
}

int HandleDumpError(const nlmsghdr* message, void* data) {
  return HandleError(message, &static_cast<DumpState*>(data)->ack);
}

// Keeps reading after the callback fails, so that the rest of the dump does
// not stay queued on the socket and confuse the next request.
int HandleDumpMessage(const nlmsghdr* message, void* data) {
  auto* state = static_cast<DumpState*>(data);
  if (state->callback_error) {
    return MNL_CB_OK;
  }
  Result<void> result = (*state->on_message)(message);
  if (!result) {
    state->callback_error = result.error();
  }
  return MNL_CB_OK;
}

Error KernelError(const AckState& ack) {
  std::string detail = std::strerror(ack.error);
  if (!ack.kernel_message.empty()) {
    detail += " (" + ack.kernel_message + ")";
  }
  return Error{ErrorCode::kSystem, detail};
}

Error SystemError(const std::string& operation) {
  return Error{ErrorCode::kSystem, operation + ": " + std::strerror(errno)};
}

}  // namespace

Result<XfrmSocket> XfrmSocket::Open() {
  mnl_socket* socket = mnl_socket_open(NETLINK_XFRM);
  if (socket == nullptr) {
    return std::unexpected(SystemError("opening the NETLINK_XFRM socket failed"));
  }
  XfrmSocket result(socket);
  if (mnl_socket_bind(socket, 0, MNL_SOCKET_AUTOPID) < 0) {
    return std::unexpected(SystemError("binding the NETLINK_XFRM socket failed"));
  }
  result.port_id_ = mnl_socket_get_portid(socket);

  // Both options are best effort: kernels before 4.12 lack extended acks.
  int enable = 1;
  mnl_socket_setsockopt(socket, NETLINK_EXT_ACK, &enable, sizeof(enable));
  mnl_socket_setsockopt(socket, NETLINK_CAP_ACK, &enable, sizeof(enable));
  return result;
}

XfrmSocket::XfrmSocket(mnl_socket* socket) : socket_(socket) {}

XfrmSocket::XfrmSocket(XfrmSocket&& other) noexcept
    : socket_(std::exchange(other.socket_, nullptr)),
      port_id_(other.port_id_),
      sequence_(other.sequence_) {}

XfrmSocket& XfrmSocket::operator=(XfrmSocket&& other) noexcept {
  if (this != &other) {
    if (socket_ != nullptr) {
      mnl_socket_close(socket_);
    }
    socket_ = std::exchange(other.socket_, nullptr);
    port_id_ = other.port_id_;
    sequence_ = other.sequence_;
  }
  return *this;
}

XfrmSocket::~XfrmSocket() {
  if (socket_ != nullptr) {
    mnl_socket_close(socket_);
  }
}

Result<void> XfrmSocket::Send(const XfrmMessage& request) {
  const ByteView bytes = request.bytes();
  if (mnl_socket_sendto(socket_, bytes.data(), bytes.size()) < 0) {
    return std::unexpected(SystemError("sending to the NETLINK_XFRM socket failed"));
  }
  return {};
}

Result<void> XfrmSocket::Request(const XfrmMessage& request, int ignored_errno) {
  if (auto sent = Send(request); !sent) {
    return sent;
  }
  std::vector<std::byte> buffer(kReceiveBufferSize);
  std::array<mnl_cb_t, NLMSG_MIN_TYPE> control_callbacks = MakeControlCallbacks(HandleError);

  AckState ack;
  while (true) {
    const ssize_t received = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
    if (received < 0) {
      return std::unexpected(SystemError("receiving from the NETLINK_XFRM socket failed"));
    }
    const int status = mnl_cb_run2(buffer.data(), received, request.header()->nlmsg_seq, port_id_,
                                   nullptr, &ack, control_callbacks.data(), control_callbacks.size());
    if (status == MNL_CB_STOP) {
      last_errno_ = 0;
      return {};
    }
    if (status == MNL_CB_ERROR) {
      if (ack.error == 0) {
        ack.error = errno;
      }
      if (ignored_errno != 0 && ack.error == ignored_errno) {
        return {};
      }
      last_errno_ = ack.error;
      return std::unexpected(KernelError(ack));
    }
  }
}

Result<void> XfrmSocket::RequestWithReply(
    const XfrmMessage& request, const std::function<Result<void>(const nlmsghdr*)>& on_message) {
  // The acknowledgement ends the exchange the way NLMSG_DONE ends a dump, and
  // the dump loop stops at either.
  return Dump(request, on_message);
}

Result<void> XfrmSocket::RequestAndWipe(XfrmMessage& request) {
  Result<void> result = Request(request);
  request.Wipe();
  return result;
}

Result<void> XfrmSocket::Dump(const XfrmMessage& request,
                              const std::function<Result<void>(const nlmsghdr*)>& on_message) {
  if (auto sent = Send(request); !sent) {
    return sent;
  }
  std::vector<std::byte> buffer(kReceiveBufferSize);
  std::array<mnl_cb_t, NLMSG_MIN_TYPE> control_callbacks = MakeControlCallbacks(HandleDumpError);

  DumpState state;
  state.on_message = &on_message;
  while (true) {
    const ssize_t received = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
    if (received < 0) {
      return std::unexpected(SystemError("receiving from the NETLINK_XFRM socket failed"));
    }
    const int status =
        mnl_cb_run2(buffer.data(), received, request.header()->nlmsg_seq, port_id_,
                    HandleDumpMessage, &state, control_callbacks.data(), control_callbacks.size());
    if (status == MNL_CB_STOP) {
      last_errno_ = 0;
      if (state.callback_error) {
        return std::unexpected(*state.callback_error);
      }
      return {};
    }
    if (status == MNL_CB_ERROR) {
      if (state.ack.error == 0) {
        state.ack.error = errno;
      }
      last_errno_ = state.ack.error;
      return std::unexpected(KernelError(state.ack));
    }
  }
}

}  // namespace ipop::esp::xfrm
