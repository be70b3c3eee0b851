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

}  // namespace ipop::daemon
