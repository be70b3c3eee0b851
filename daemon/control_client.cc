#include "daemon/control_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon/control_format.h"

namespace ipop::daemon {

namespace {

std::string ConnectError(const std::string& path, int error) {
  return "cannot connect to " + path + ": " + std::strerror(error) +
         " — is ipop-espd running? use --control to name its socket";
}

}  // namespace

Result<std::string> ParseControlReply(std::string_view reply) {
  const size_t end_of_line = reply.find('\n');
  const std::string_view status = reply.substr(0, end_of_line);
  if (status == kControlOk) {
    return std::string(end_of_line == reply.npos ? std::string_view() : reply.substr(end_of_line + 1));
  }
  if (status.starts_with(kControlError)) {
    std::string_view reason = status.substr(kControlError.size());
    if (reason.starts_with(' ')) {
      reason.remove_prefix(1);
    }
    return Fail(ErrorCode::kInvalidArgument, "ipop-espd: " + std::string(reason));
  }
  return Fail(ErrorCode::kMalformed, "unexpected reply from ipop-espd: \"" + std::string(status) + "\"");
}

Result<std::string> SendControlRequest(const std::string& path, std::string_view request) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) {
    return Fail(ErrorCode::kInvalidArgument, "control socket path \"" + path + "\" is too long");
  }
  std::memcpy(address.sun_path, path.data(), path.size());

  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Fail(ErrorCode::kSystem, std::string("cannot create a UNIX socket: ") + std::strerror(errno));
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) < 0) {
    const int error = errno;
    close(fd);
    return Fail(ErrorCode::kSystem, ConnectError(path, error));
  }

  std::string line(request);
  line += '\n';
  if (send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
    const int error = errno;
    close(fd);
    return Fail(ErrorCode::kSystem, "cannot send to " + path + ": " + std::strerror(error));
  }

  // The daemon closes the connection after its reply.
  std::string reply;
  char buffer[4096];
  while (true) {
    const ssize_t received = recv(fd, buffer, sizeof(buffer), 0);
    if (received == 0) {
      break;
    }
    if (received < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int error = errno;
      close(fd);
      return Fail(ErrorCode::kSystem, "cannot read from " + path + ": " + std::strerror(error));
    }
    reply.append(buffer, static_cast<size_t>(received));
  }
  close(fd);
  return ParseControlReply(reply);
}

}  // namespace ipop::daemon
