#include "daemon/system_packet_io.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "daemon/ike_sockets.h"

namespace ipop::daemon {

namespace {

// The destination address field of an IPv4 header (RFC 791 §3.1).
constexpr size_t kIpv4DestinationOffset = 16;
constexpr size_t kIpv4MinHeaderLength = 20;

std::expected<size_t, int> ReadResult(ssize_t result) {
  if (result >= 0) {
    return static_cast<size_t>(result);
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    return 0;
  }
  return std::unexpected(errno);
}

// Errors that a UDP socket reports on receive for ICMP messages about the
// datagrams it sent.
bool IsIcmpReportedError(int error) {
  return error == ECONNREFUSED || error == EHOSTUNREACH || error == ENETUNREACH;
}

sockaddr_in ToSockaddr(const Endpoint& endpoint) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(endpoint.address.value());
  address.sin_port = htons(endpoint.port);
  return address;
}

}  // namespace

Result<int> OpenRawEspSocket(uint32_t fwmark) {
  const int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP);
  if (fd < 0) {
    return Fail(ErrorCode::kSystem, std::string("cannot open raw ESP socket: ") + std::strerror(errno));
  }
  const int enabled = 1;
  if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &enabled, sizeof(enabled)) < 0) {
    const std::string detail = std::string("cannot set IP_HDRINCL on the raw ESP socket: ") + std::strerror(errno);
    close(fd);
    return Fail(ErrorCode::kSystem, detail);
  }
  if (auto marked = SetSocketMark(fd, fwmark); !marked) {
    close(fd);
    return Fail(ErrorCode::kSystem, "raw ESP socket: " + marked.error().detail);
  }
  EnlargeEspReceiveBuffer(fd);
  return fd;
}

SystemPacketIo::~SystemPacketIo() {
  if (esp_fd_ >= 0) {
    close(esp_fd_);
  }
}

std::expected<size_t, int> SystemPacketIo::ReadTun(MutableByteView buffer) {
  return ReadResult(read(tun_fd_, buffer.data(), buffer.size()));
}

std::expected<size_t, int> SystemPacketIo::ReceiveEsp(MutableByteView buffer) {
  return ReadResult(recv(esp_fd_, buffer.data(), buffer.size(), 0));
}

std::expected<void, int> SystemPacketIo::WriteTun(ByteView packet) {
  if (write(tun_fd_, packet.data(), packet.size()) < 0) {
    return std::unexpected(errno);
  }
  return {};
}

std::expected<void, int> SystemPacketIo::SendEsp(ByteView packet) {
  if (packet.size() < kIpv4MinHeaderLength) {
    return std::unexpected(EINVAL);
  }
  sockaddr_in destination{};
  destination.sin_family = AF_INET;
  // Both sides are in network byte order, so the bytes copy as they are.
  std::memcpy(&destination.sin_addr.s_addr, packet.data() + kIpv4DestinationOffset, 4);
  const ssize_t sent = sendto(esp_fd_, packet.data(), packet.size(), 0,
                              reinterpret_cast<const sockaddr*>(&destination), sizeof(destination));
  if (sent < 0) {
    return std::unexpected(errno);
  }
  return {};
}

void SystemPacketIo::AddNattSocket(const Endpoint& local, int fd) {
  natt_fds_.push_back(fd);
  natt_locals_.push_back(local);
}

// Tries each socket once, starting after the one that delivered last, so
// that one busy socket does not starve the others.
std::expected<size_t, int> SystemPacketIo::ReceiveNatt(MutableByteView buffer,
                                                       esp::UdpAddressing& addressing) {
  for (size_t tried = 0; tried < natt_fds_.size(); ++tried) {
    const size_t index = (next_natt_ + tried) % natt_fds_.size();
    sockaddr_in sender{};
    socklen_t sender_length = sizeof(sender);
    const ssize_t received = recvfrom(natt_fds_[index], buffer.data(), buffer.size(), MSG_DONTWAIT,
                                      reinterpret_cast<sockaddr*>(&sender), &sender_length);
    auto length = ReadResult(received);
    if (!length && IsIcmpReportedError(length.error())) {
      // An ICMP error for an earlier send, such as port unreachable while
      // the peer restarts. It consumed no datagram, so the socket reads on.
      continue;
    }
    if (!length) {
      return length;
    }
    if (*length == 0 && received < 0) {
      continue;
    }
    next_natt_ = (index + 1) % natt_fds_.size();
    addressing.local = natt_locals_[index];
    addressing.remote = Endpoint{Ipv4Address(ntohl(sender.sin_addr.s_addr)), ntohs(sender.sin_port)};
    return *length;
  }
  return 0;
}

std::expected<void, int> SystemPacketIo::SendNatt(ByteView datagram,
                                                  const esp::UdpAddressing& addressing) {
  for (size_t index = 0; index < natt_fds_.size(); ++index) {
    if (natt_locals_[index] != addressing.local) {
      continue;
    }
    const sockaddr_in destination = ToSockaddr(addressing.remote);
    const ssize_t sent = sendto(natt_fds_[index], datagram.data(), datagram.size(), MSG_DONTWAIT,
                                reinterpret_cast<const sockaddr*>(&destination), sizeof(destination));
    if (sent < 0) {
      return std::unexpected(errno);
    }
    return {};
  }
  return std::unexpected(EADDRNOTAVAIL);
}

}  // namespace ipop::daemon
