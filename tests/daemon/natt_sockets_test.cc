// The NAT-T socket path on loopback: SystemPacketIo reading and sending
// ESP-in-UDP, and IkeSockets handing its NAT-T socket over and sending
// keepalives on it. Every socket is bound to 127.0.0.1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <optional>

#include <gtest/gtest.h>

#include "daemon/ike_sockets.h"
#include "daemon/system_packet_io.h"

namespace ipop::daemon {
namespace {

const Ipv4Address kLoopback(0x7f000001);

// A UDP socket bound to 127.0.0.1 on a port the kernel chooses.
class LoopbackSocket {
 public:
  LoopbackSocket() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = ToSockaddr({kLoopback, 0});
    bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    endpoint_ = Endpoint{kLoopback, ntohs(address.sin_port)};
  }
  ~LoopbackSocket() { close(fd_); }
  LoopbackSocket(const LoopbackSocket&) = delete;
  LoopbackSocket& operator=(const LoopbackSocket&) = delete;

  static sockaddr_in ToSockaddr(const Endpoint& endpoint) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(endpoint.address.value());
    address.sin_port = htons(endpoint.port);
    return address;
  }

  void SendTo(const Endpoint& destination, ByteView datagram) const {
    const sockaddr_in address = ToSockaddr(destination);
    sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&address),
           sizeof(address));
  }

  // Waits up to one second for a datagram.
  std::optional<Bytes> Receive() const {
    timeval timeout{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    Bytes buffer(2048);
    const ssize_t length = recv(fd_, buffer.data(), buffer.size(), 0);
    if (length < 0) {
      return std::nullopt;
    }
    buffer.resize(static_cast<size_t>(length));
    return buffer;
  }

  int fd() const { return fd_; }
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  int fd_ = -1;
  Endpoint endpoint_;
};

// Reads until a datagram arrives or a second passes.
std::expected<size_t, int> ReceiveWithin(SystemPacketIo& io, MutableByteView buffer,
                                         esp::UdpAddressing& addressing) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto length = io.ReceiveNatt(buffer, addressing);
    if (!length || *length != 0) {
      return length;
    }
    usleep(10000);
  }
  return 0;
}

TEST(SystemPacketIoNatt, ReceivesWithAddressing) {
  LoopbackSocket natt;
  LoopbackSocket peer;
  SystemPacketIo io(-1, -1);
  io.AddNattSocket(natt.endpoint(), natt.fd());
  ASSERT_EQ(io.natt_fds().size(), 1u);

  const Bytes datagram = HexToBytes("c0ffee010000000100112233");
  peer.SendTo(natt.endpoint(), datagram);
  Bytes buffer(2048);
  esp::UdpAddressing addressing;
  auto length = ReceiveWithin(io, buffer, addressing);

  ASSERT_TRUE(length.has_value());
  ASSERT_EQ(*length, datagram.size());
  EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + *length), datagram);
  EXPECT_EQ(addressing.local, natt.endpoint());
  EXPECT_EQ(addressing.remote, peer.endpoint());
}

TEST(SystemPacketIoNatt, EmptyQueueReturnsZero) {
  LoopbackSocket natt;
  SystemPacketIo io(-1, -1);
  io.AddNattSocket(natt.endpoint(), natt.fd());
  Bytes buffer(2048);
  esp::UdpAddressing addressing;

  auto length = io.ReceiveNatt(buffer, addressing);
  ASSERT_TRUE(length.has_value());
  EXPECT_EQ(*length, 0u);
}

TEST(SystemPacketIoNatt, SendsFromBoundSocket) {
  LoopbackSocket natt;
  LoopbackSocket peer;
  SystemPacketIo io(-1, -1);
  io.AddNattSocket(natt.endpoint(), natt.fd());

  const Bytes datagram = HexToBytes("c0ffee0100000002");
  auto sent = io.SendNatt(datagram, {natt.endpoint(), peer.endpoint()});
  ASSERT_TRUE(sent.has_value()) << sent.error();
  EXPECT_EQ(peer.Receive(), datagram);
}

TEST(SystemPacketIoNatt, UnknownLocalFails) {
  LoopbackSocket natt;
  SystemPacketIo io(-1, -1);
  io.AddNattSocket(natt.endpoint(), natt.fd());

  const Endpoint other{kLoopback, static_cast<uint16_t>(natt.endpoint().port + 1)};
  auto sent = io.SendNatt(HexToBytes("ff"), {other, natt.endpoint()});
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error(), EADDRNOTAVAIL);
}

TEST(SystemPacketIoNatt, PortUnreachableIsSkipped) {
  LoopbackSocket natt;
  Endpoint closed;
  {
    LoopbackSocket gone;
    closed = gone.endpoint();
  }
  // A connected UDP socket gets the ICMP port unreachable reported on its
  // next receive.
  const sockaddr_in address = LoopbackSocket::ToSockaddr(closed);
  ASSERT_EQ(connect(natt.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(send(natt.fd(), "x", 1, 0), 1);
  usleep(50000);
  SystemPacketIo io(-1, -1);
  io.AddNattSocket(natt.endpoint(), natt.fd());
  Bytes buffer(2048);
  esp::UdpAddressing addressing;

  auto length = io.ReceiveNatt(buffer, addressing);
  ASSERT_TRUE(length.has_value()) << "error " << length.error();
  EXPECT_EQ(*length, 0u);
}

TEST(IkeSocketsNatt, TakeOverAndKeepalive) {
  boost::asio::io_context io;
  IkeSockets sockets(io, 0, nullptr);
  LoopbackSocket peer;
  // The port the kernel chose for `probe` is free again once it closes.
  Endpoint local;
  {
    LoopbackSocket probe;
    local = probe.endpoint();
  }
  auto opened = sockets.Open(local, true);
  if (!opened && opened.error().detail.find("SO_MARK") != std::string::npos) {
    GTEST_SKIP() << "setting SO_MARK needs CAP_NET_ADMIN: " << opened.error().detail;
  }
  ASSERT_TRUE(opened.has_value()) << opened.error().detail;
  sockets.Start([](const Endpoint&, const Endpoint&, ByteView) {},
                [](const Endpoint&, const Endpoint&, ByteView) {});

  const std::vector<IkeSockets::NattSocket> taken = sockets.TakeOverNattReceive();
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].local, local);
  EXPECT_GE(taken[0].fd, 0);

  sockets.SendKeepalive(local, peer.endpoint());
  EXPECT_EQ(peer.Receive(), HexToBytes("ff"));
  EXPECT_EQ(sockets.counters().keepalives_sent, 1u);

  // IKE sent on the same socket still gets the non-ESP marker.
  sockets.SendDatagram(local, peer.endpoint(), HexToBytes("aabb"));
  EXPECT_EQ(peer.Receive(), HexToBytes("00000000aabb"));
}

}  // namespace
}  // namespace ipop::daemon
