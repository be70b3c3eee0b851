// The UNIX stream socket that `ipop-esp` talks to. The protocol is described
// in control_format.h: one request line in, one reply, then the daemon
// closes the connection. Runs on the IKE thread's io_context, so the handler
// may read IKE and SA state without locks.
#ifndef IPOP_DAEMON_CONTROL_SERVER_H_
#define IPOP_DAEMON_CONTROL_SERVER_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace ipop::daemon {

class ControlServer {
 public:
  // Returns the whole reply for one request line (without its '\n').
  using Handler = std::function<std::string(std::string_view request)>;

  ControlServer(boost::asio::io_context& io, std::string path, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Creates the socket's directory if missing (mode 0755), removes a stale
  // socket file that no daemon listens on, binds with mode 0600 and starts
  // accepting. Fails if another daemon is listening on the path.
  Result<void> Start();
  // Stops accepting and removes the socket file.
  void Stop();

  const std::string& path() const { return path_; }

 private:
  void Accept();

  boost::asio::io_context& io_;
  std::string path_;
  Handler handler_;
  std::optional<boost::asio::local::stream_protocol::acceptor> acceptor_;
};

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_CONTROL_SERVER_H_
