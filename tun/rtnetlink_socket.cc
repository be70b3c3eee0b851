#include "tun/rtnetlink_socket.h"

#include <libmnl/libmnl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace ipop::tun {

void RtnetlinkSocket::Closer::operator()(mnl_socket* socket) const { mnl_socket_close(socket); }

RtnetlinkSocket::RtnetlinkSocket(mnl_socket* socket) : socket_(socket) {
  port_id_ = mnl_socket_get_portid(socket);
}

Result<RtnetlinkSocket> RtnetlinkSocket::Open() {
  mnl_socket* socket = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (socket == nullptr) {
    return Fail(ErrorCode::kSystem, std::string("cannot open rtnetlink socket: ") + std::strerror(errno));
  }
  if (mnl_socket_bind(socket, 0, MNL_SOCKET_AUTOPID) < 0) {
    const std::string detail = std::string("cannot bind rtnetlink socket: ") + std::strerror(errno);
    mnl_socket_close(socket);
    return Fail(ErrorCode::kSystem, detail);
  }
  return RtnetlinkSocket(socket);
}

Result<void> RtnetlinkSocket::Transact(nlmsghdr* request, std::string_view what) {
  const uint32_t sequence = next_sequence_++;
  request->nlmsg_seq = sequence;
  if (mnl_socket_sendto(socket_.get(), request, request->nlmsg_len) < 0) {
    return Fail(ErrorCode::kSystem, std::string(what) + ": send failed: " + std::strerror(errno));
  }

  // The acknowledgement carries the request back after the error code, so it
  // can be as large as the request plus headers.
  std::vector<char> reply(MNL_SOCKET_BUFFER_SIZE);
  while (true) {
    const ssize_t received = mnl_socket_recvfrom(socket_.get(), reply.data(), reply.size());
    if (received < 0) {
      return Fail(ErrorCode::kSystem, std::string(what) + ": receive failed: " + std::strerror(errno));
    }
    // mnl_cb_run turns an NLMSG_ERROR with a non-zero code into -1 and errno.
    const int status = mnl_cb_run(reply.data(), static_cast<size_t>(received), sequence, port_id_,
                                  nullptr, nullptr);
    if (status == MNL_CB_ERROR) {
      return Fail(ErrorCode::kSystem, std::string(what) + ": " + std::strerror(errno));
    }
    if (status == MNL_CB_STOP) {
      return {};
    }
    // MNL_CB_OK without the acknowledgement yet: keep reading.
  }
}

Result<void> RtnetlinkSocket::SetLinkUp(int ifindex) {
  RequestBuffer buffer;
  return Transact(BuildSetLinkUp(buffer, ifindex), "set link " + std::to_string(ifindex) + " up");
}

Result<void> RtnetlinkSocket::SetLinkMtu(int ifindex, uint32_t mtu) {
  RequestBuffer buffer;
  return Transact(BuildSetLinkMtu(buffer, ifindex, mtu),
                  "set mtu " + std::to_string(mtu) + " on link " + std::to_string(ifindex));
}

Result<void> RtnetlinkSocket::AddRoute(const RouteSpec& route) {
  RequestBuffer buffer;
  return Transact(BuildNewRoute(buffer, route), "add route " + Describe(route));
}

Result<void> RtnetlinkSocket::DeleteRoute(const RouteSpec& route) {
  RequestBuffer buffer;
  return Transact(BuildDeleteRoute(buffer, route), "delete route " + Describe(route));
}

Result<void> RtnetlinkSocket::AddRule(const RuleSpec& rule) {
  RequestBuffer buffer;
  return Transact(BuildNewRule(buffer, rule), "add rule " + Describe(rule));
}

Result<void> RtnetlinkSocket::DeleteRule(const RuleSpec& rule) {
  RequestBuffer buffer;
  return Transact(BuildDeleteRule(buffer, rule), "delete rule " + Describe(rule));
}

std::string Describe(const RouteSpec& route) {
  Ipv4Prefix network = route.destination;
  network.address = Ipv4Address(network.address.value() & network.Mask());
  std::string text = network.ToString() + " dev #" + std::to_string(route.ifindex) + " table " +
                     std::to_string(route.table);
  if (route.preferred_source) {
    text += " src " + route.preferred_source->ToString();
  }
  return text;
}

std::string Describe(const RuleSpec& rule) {
  return "priority " + std::to_string(rule.priority) + " not fwmark " + std::to_string(rule.fwmark) +
         " lookup " + std::to_string(rule.table);
}

}  // namespace ipop::tun
