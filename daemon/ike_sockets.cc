#include "daemon/ike_sockets.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "daemon/natt_framing.h"

namespace ipop::daemon {

namespace {

using boost::asio::ip::udp;

udp::endpoint ToAsio(const Endpoint& endpoint) {
  return udp::endpoint(boost::asio::ip::address_v4(endpoint.address.value()), endpoint.port);
}

Endpoint FromAsio(const udp::endpoint& endpoint) {
  return Endpoint{Ipv4Address(endpoint.address().to_v4().to_uint()), endpoint.port()};
}

}  // namespace

Result<void> SetSocketMark(int fd, uint32_t fwmark) {
  if (setsockopt(fd, SOL_SOCKET, SO_MARK, &fwmark, sizeof(fwmark)) < 0) {
    return Fail(ErrorCode::kSystem, std::string("cannot set SO_MARK ") + std::to_string(fwmark) + ": " +
                                        std::strerror(errno));
  }
  return {};
}

void EnlargeEspReceiveBuffer(int fd) {
  const int size = kEspReceiveBufferBytes;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0) {
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  }
}

IkeSockets::IkeSockets(boost::asio::io_context& io, uint32_t fwmark, SocketHook socket_hook)
    : io_(io), fwmark_(fwmark), socket_hook_(std::move(socket_hook)) {}

IkeSockets::~IkeSockets() { Close(); }

Result<void> IkeSockets::Open(const Endpoint& local, bool natt) {
  auto entry = std::make_unique<Socket>(io_);
  entry->local = local;
  entry->natt = natt;

  boost::system::error_code error;
  entry->socket.open(udp::v4(), error);
  if (error) {
    return Fail(ErrorCode::kSystem, "cannot open UDP socket for " + local.ToString() + ": " + error.message());
  }
  if (auto marked = SetSocketMark(entry->socket.native_handle(), fwmark_); !marked) {
    return Fail(ErrorCode::kSystem, local.ToString() + ": " + marked.error().detail);
  }
  if (natt) {
    EnlargeEspReceiveBuffer(entry->socket.native_handle());
  }
  if (socket_hook_) {
    if (auto hooked = socket_hook_(entry->socket.native_handle()); !hooked) {
      return Fail(ErrorCode::kSystem, local.ToString() + ": " + hooked.error().detail);
    }
  }
  entry->socket.bind(ToAsio(local), error);
  if (error) {
    return Fail(ErrorCode::kSystem, "cannot bind UDP " + local.ToString() + ": " + error.message());
  }
  IPOP_LOG(kInfo) << local.ToString() << " used for " << (natt ? "NAT-T" : "IKE") << " (UDP, fwmark "
                  << fwmark_ << ")";
  sockets_.push_back(std::move(entry));
  return {};
}

void IkeSockets::Start(DatagramHandler on_ike, DatagramHandler on_esp) {
  on_ike_ = std::move(on_ike);
  on_esp_ = std::move(on_esp);
  for (auto& socket : sockets_) {
    if (!socket->taken_over) {
      Receive(*socket);
    }
  }
}

std::vector<IkeSockets::NattSocket> IkeSockets::TakeOverNattReceive() {
  std::vector<NattSocket> taken;
  for (auto& socket : sockets_) {
    if (!socket->natt) {
      continue;
    }
    socket->taken_over = true;
    // Cancels a receive that Start began. Its handler gets
    // operation_aborted and does not receive again.
    boost::system::error_code ignored;
    socket->socket.cancel(ignored);
    taken.push_back({socket->local, socket->socket.native_handle()});
  }
  return taken;
}

void IkeSockets::Receive(Socket& socket) {
  socket.socket.async_receive_from(
      boost::asio::buffer(socket.buffer), socket.sender,
      [this, &socket](const boost::system::error_code& error, size_t length) {
        if (error == boost::asio::error::operation_aborted || !socket.socket.is_open()) {
          return;
        }
        if (error) {
          // ICMP errors from earlier sends surface here (ECONNREFUSED); they
          // do not stop the socket.
          IPOP_LOG(kDebug) << "receive on " << socket.local.ToString() << " failed: " << error.message();
        } else {
          Dispatch(socket, length);
        }
        Receive(socket);
      });
}

void IkeSockets::Dispatch(Socket& socket, size_t length) {
  const ByteView datagram(socket.buffer.data(), length);
  const Endpoint remote = FromAsio(socket.sender);
  if (!socket.natt) {
    ++counters_.ike_received;
    on_ike_(socket.local, remote, datagram);
    return;
  }

  const NattDatagram classified = ClassifyNattDatagram(datagram);
  switch (classified.kind) {
    case NattDatagramKind::kIke:
      ++counters_.ike_received;
      on_ike_(socket.local, remote, classified.payload);
      break;
    case NattDatagramKind::kEsp:
      ++counters_.esp_in_udp_received;
      if (on_esp_) {
        on_esp_(socket.local, remote, classified.payload);
      }
      break;
    case NattDatagramKind::kKeepalive:
      ++counters_.keepalives_received;
      IPOP_LOG(kDebug2) << "NAT-T keepalive from " << remote.ToString();
      break;
    case NattDatagramKind::kInvalid:
      ++counters_.invalid_received;
      IPOP_LOG(kDebug) << "dropped " << length << "-byte datagram from " << remote.ToString() << " on "
                       << socket.local.ToString() << ": too short for IKE or ESP";
      break;
  }
}

IkeSockets::Socket* IkeSockets::FindSocket(const Endpoint& local) {
  Socket* wildcard = nullptr;
  for (auto& socket : sockets_) {
    if (socket->local == local) {
      return socket.get();
    }
    if (socket->local.port == local.port && socket->local.address.value() == 0) {
      wildcard = socket.get();
    }
  }
  return wildcard;
}

void IkeSockets::SendDatagram(const Endpoint& local, const Endpoint& remote, ByteView message) {
  Socket* socket = FindSocket(local);
  ByteView payload = message;
  if (socket != nullptr && socket->natt) {
    PrependNonEspMarker(message, send_buffer_);
    payload = send_buffer_;
  }
  if (SendRaw(local, remote, payload)) {
    ++counters_.ike_sent;
  }
}

void IkeSockets::SendKeepalive(const Endpoint& local, const Endpoint& remote) {
  const std::byte keepalive[] = {kNattKeepalive};
  if (SendRaw(local, remote, keepalive)) {
    ++counters_.keepalives_sent;
    IPOP_LOG(kDebug2) << "NAT-T keepalive sent from " << local.ToString() << " to " << remote.ToString();
  }
}

bool IkeSockets::SendRaw(const Endpoint& local, const Endpoint& remote, ByteView payload) {
  Socket* socket = FindSocket(local);
  if (socket == nullptr) {
    ++counters_.send_failures;
    IPOP_LOG(kError) << "cannot send to " << remote.ToString() << ": no socket bound to " << local.ToString();
    return false;
  }
  // A blocking send keeps the order of messages and lets Shutdown's Delete
  // payloads leave before the socket closes; UDP sends do not wait on the
  // peer.
  boost::system::error_code error;
  socket->socket.send_to(boost::asio::buffer(payload.data(), payload.size()), ToAsio(remote), 0, error);
  if (error) {
    ++counters_.send_failures;
    IPOP_LOG(kError) << "send from " << local.ToString() << " to " << remote.ToString()
                     << " failed: " << error.message();
    return false;
  }
  return true;
}

void IkeSockets::Close() {
  for (auto& socket : sockets_) {
    boost::system::error_code ignored;
    socket->socket.close(ignored);
  }
  sockets_.clear();
}

std::vector<Endpoint> IkeSockets::local_endpoints() const {
  std::vector<Endpoint> endpoints;
  for (const auto& socket : sockets_) {
    endpoints.push_back(socket->local);
  }
  return endpoints;
}

}  // namespace ipop::daemon
