// The daemon's UDP sockets for IKE: one per `listen isakmp` endpoint (port
// 500) and per `listen isakmp_natt` endpoint (port 4500). Each socket
// carries the daemon's fwmark, so its traffic skips the routes into the TUN
// device, and passes through `socket_hook` (the XFRM bypass) when opened.
// On NAT-T sockets the non-ESP marker is stripped on receipt and prepended
// on send (RFC 3948 §2.2), and keepalives are dropped. The userspace
// datapath can take over the reads of the NAT-T sockets, because ESP-in-UDP
// arrives on them too; IKE then only sends on them.
#ifndef IPOP_DAEMON_IKE_SOCKETS_H_
#define IPOP_DAEMON_IKE_SOCKETS_H_

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "base/ip_address.h"
#include "ike/ike_service.h"

namespace ipop::daemon {

// Applies SO_MARK to `fd`. Needs CAP_NET_ADMIN.
Result<void> SetSocketMark(int fd, uint32_t fwmark);

// Receive queue of the sockets that carry ESP (the raw ESP socket and the
// NAT-T sockets). Forwarded tunnel traffic arrives in bursts faster than one
// worker decrypts. With the default queue (208 KiB here) tunnel_site_test
// lost about one ESP packet in ten, and for the raw socket Linux 6.18 sent
// ICMP protocol unreachable for each. 4 MiB absorbed those bursts.
inline constexpr int kEspReceiveBufferBytes = 4 * 1024 * 1024;

// Sets the receive queue of `fd` to kEspReceiveBufferBytes, best effort.
// SO_RCVBUFFORCE goes past net.core.rmem_max with CAP_NET_ADMIN. Without
// that capability SO_RCVBUF applies, capped at net.core.rmem_max.
void EnlargeEspReceiveBuffer(int fd);

struct IkeSocketCounters {
  uint64_t ike_received = 0;
  uint64_t ike_sent = 0;
  uint64_t keepalives_received = 0;
  uint64_t esp_in_udp_received = 0;
  uint64_t invalid_received = 0;
  uint64_t send_failures = 0;
  uint64_t keepalives_sent = 0;
};

class IkeSockets : public ike::DatagramSender {
 public:
  using DatagramHandler =
      std::function<void(const Endpoint& local, const Endpoint& remote, ByteView message)>;
  using SocketHook = std::function<Result<void>(int fd)>;

  IkeSockets(boost::asio::io_context& io, uint32_t fwmark, SocketHook socket_hook);
  ~IkeSockets() override;

  // Binds a socket to `local`. `natt` selects RFC 3948 framing.
  Result<void> Open(const Endpoint& local, bool natt);

  // Starts receiving on every open socket that was not taken over. IKE
  // messages go to `on_ike`, UDP-encapsulated ESP to `on_esp`.
  void Start(DatagramHandler on_ike, DatagramHandler on_esp);

  struct NattSocket {
    Endpoint local;
    int fd = -1;  // still owned by IkeSockets
  };
  // Stops receiving on the NAT-T sockets, before or after Start, and
  // returns them so that another reader (the datapath) polls them. Call it
  // on the io_context's thread or before the io_context runs.
  std::vector<NattSocket> TakeOverNattReceive();

  // Sends the one-byte NAT keepalive (RFC 3948 §2.3) from the NAT-T socket
  // bound to `local`. Failures are logged and counted like SendDatagram's.
  void SendKeepalive(const Endpoint& local, const Endpoint& remote);

  // Sends from the socket bound to `local`, or failing that from the one
  // bound to the wildcard address on the same port. Failures are logged and
  // counted; IKE retransmits on its own.
  void SendDatagram(const Endpoint& local, const Endpoint& remote, ByteView message) override;

  void Close();

  std::vector<Endpoint> local_endpoints() const;
  const IkeSocketCounters& counters() const { return counters_; }

 private:
  // Datagrams up to the IPv4 maximum fit (RFC 791: 65535 minus headers).
  static constexpr size_t kReceiveBufferSize = 65536;

  struct Socket {
    Endpoint local;
    bool natt = false;
    bool taken_over = false;  // read by the datapath, not here
    boost::asio::ip::udp::socket socket;
    boost::asio::ip::udp::endpoint sender;
    std::array<std::byte, kReceiveBufferSize> buffer;

    explicit Socket(boost::asio::io_context& io) : socket(io) {}
  };

  void Receive(Socket& socket);
  void Dispatch(Socket& socket, size_t length);
  Socket* FindSocket(const Endpoint& local);
  // Sends `payload` as it is; false after logging and counting a failure.
  bool SendRaw(const Endpoint& local, const Endpoint& remote, ByteView payload);

  boost::asio::io_context& io_;
  uint32_t fwmark_;
  SocketHook socket_hook_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  DatagramHandler on_ike_;
  DatagramHandler on_esp_;
  Bytes send_buffer_;
  IkeSocketCounters counters_;
};

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_IKE_SOCKETS_H_
