// The datapath's packet I/O on real descriptors: the TUN device, a raw
// IPPROTO_ESP socket with IP_HDRINCL and the NAT-T UDP sockets that
// IkeSockets opened. Every read is non-blocking so that a read with nothing
// waiting returns 0, as PacketIo requires.
#ifndef IPOP_DAEMON_SYSTEM_PACKET_IO_H_
#define IPOP_DAEMON_SYSTEM_PACKET_IO_H_

#include <cstdint>
#include <span>
#include <vector>

#include "base/error.h"
#include "esp/datapath.h"

namespace ipop::daemon {

// Opens socket(AF_INET, SOCK_RAW, IPPROTO_ESP) with IP_HDRINCL, non-blocking
// and marked with `fwmark` so that the ESP it sends skips the TUN routes.
// Needs CAP_NET_RAW and CAP_NET_ADMIN. Returns the descriptor.
Result<int> OpenRawEspSocket(uint32_t fwmark);

class SystemPacketIo : public esp::PacketIo {
 public:
  // Takes ownership of `esp_fd`, not of `tun_fd` (the TunDevice owns it).
  SystemPacketIo(int tun_fd, int esp_fd) : tun_fd_(tun_fd), esp_fd_(esp_fd) {}
  ~SystemPacketIo() override;
  SystemPacketIo(const SystemPacketIo&) = delete;
  SystemPacketIo& operator=(const SystemPacketIo&) = delete;

  int tun_fd() const override { return tun_fd_; }
  int esp_fd() const override { return esp_fd_; }

  std::expected<size_t, int> ReadTun(MutableByteView buffer) override;
  std::expected<size_t, int> ReceiveEsp(MutableByteView buffer) override;
  std::expected<void, int> WriteTun(ByteView packet) override;
  // Sends to the destination address in the packet's IPv4 header.
  std::expected<void, int> SendEsp(ByteView packet) override;

  // Adds a NAT-T socket bound to `local`; `fd` stays owned by its opener.
  void AddNattSocket(const Endpoint& local, int fd);
  std::span<const int> natt_fds() const override { return natt_fds_; }
  std::expected<size_t, int> ReceiveNatt(MutableByteView buffer,
                                         esp::UdpAddressing& addressing) override;
  // Fails with EADDRNOTAVAIL when no NAT-T socket is bound to
  // `addressing.local`.
  std::expected<void, int> SendNatt(ByteView datagram,
                                    const esp::UdpAddressing& addressing) override;

 private:
  int tun_fd_;
  int esp_fd_;
  std::vector<int> natt_fds_;
  std::vector<Endpoint> natt_locals_;  // same index as natt_fds_
  size_t next_natt_ = 0;               // the socket ReceiveNatt tries first
};

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_SYSTEM_PACKET_IO_H_
