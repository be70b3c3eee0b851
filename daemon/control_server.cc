#include "daemon/control_server.h"

#include <sys/stat.h>
#include <sys/un.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <utility>

#include "base/log.h"
#include "daemon/control_format.h"

namespace ipop::daemon {

namespace {

using boost::asio::local::stream_protocol;

// One client connection: read a line, write the reply, close.
class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  ControlSession(stream_protocol::socket socket, const ControlServer::Handler& handler)
      : socket_(std::move(socket)), handler_(handler), buffer_(kMaxControlRequestLength) {}

  void Start() {
    auto self = shared_from_this();
    boost::asio::async_read_until(
        socket_, buffer_, '\n',
        [self](const boost::system::error_code& error, size_t length) { self->OnRead(error, length); });
  }

 private:
  void OnRead(const boost::system::error_code& error, size_t length) {
    std::string reply;
    if (error == boost::asio::error::not_found) {
      reply = ControlErrorReply("request longer than " + std::to_string(kMaxControlRequestLength) +
                                " bytes");
    } else if (error && error != boost::asio::error::eof) {
      IPOP_LOG(kDebug) << "control client read failed: " << error.message();
      return;
    } else {
      // At EOF without a newline the whole buffer is the request.
      const size_t request_length = error ? buffer_.size() : length;
      std::string request(boost::asio::buffers_begin(buffer_.data()),
                          boost::asio::buffers_begin(buffer_.data()) + request_length);
      while (!request.empty() && (request.back() == '\n' || request.back() == '\r')) {
        request.pop_back();
      }
      reply = handler_(request);
    }
    reply_ = std::move(reply);
    auto self = shared_from_this();
    boost::asio::async_write(socket_, boost::asio::buffer(reply_),
                             [self](const boost::system::error_code& write_error, size_t) {
                               if (write_error) {
                                 IPOP_LOG(kDebug) << "control client write failed: "
                                                  << write_error.message();
                               }
                               boost::system::error_code ignored;
                               self->socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
                             });
  }

  stream_protocol::socket socket_;
  const ControlServer::Handler& handler_;
  boost::asio::streambuf buffer_;
  std::string reply_;
};

// True if a daemon accepts connections on `path`.
bool SomeoneListens(boost::asio::io_context& io, const std::string& path) {
  stream_protocol::socket probe(io);
  boost::system::error_code error;
  probe.connect(stream_protocol::endpoint(path), error);
  return !error;
}

}  // namespace

ControlServer::ControlServer(boost::asio::io_context& io, std::string path, Handler handler)
    : io_(io), path_(std::move(path)), handler_(std::move(handler)) {}

ControlServer::~ControlServer() { Stop(); }

Result<void> ControlServer::Start() {
  if (path_.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Fail(ErrorCode::kInvalidArgument, "control socket path \"" + path_ + "\" is longer than " +
                                                 std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                                                 " bytes");
  }

  const std::filesystem::path directory = std::filesystem::path(path_).parent_path();
  std::error_code fs_error;
  if (!directory.empty() && !std::filesystem::exists(directory, fs_error)) {
    std::filesystem::create_directories(directory, fs_error);
    if (fs_error) {
      return Fail(ErrorCode::kSystem, "cannot create directory " + directory.string() + " for the control socket: " +
                                          fs_error.message());
    }
    chmod(directory.c_str(), 0755);
  }

  struct stat status {};
  if (lstat(path_.c_str(), &status) == 0) {
    if (!S_ISSOCK(status.st_mode)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "control socket path " + path_ + " exists and is not a socket; choose another with --control");
    }
    if (SomeoneListens(io_, path_)) {
      return Fail(ErrorCode::kInvalidArgument, "another daemon is listening on " + path_ +
                                                   "; stop it or choose another path with --control");
    }
    IPOP_LOG(kInfo) << "removing stale control socket " << path_;
    unlink(path_.c_str());
  }

  boost::system::error_code error;
  acceptor_.emplace(io_);
  // The socket file takes its mode from the umask at bind time.
  const mode_t previous_umask = umask(0177);
  acceptor_->open(stream_protocol(), error);
  if (!error) {
    acceptor_->bind(stream_protocol::endpoint(path_), error);
  }
  umask(previous_umask);
  if (!error) {
    acceptor_->listen(boost::asio::socket_base::max_listen_connections, error);
  }
  if (error) {
    acceptor_.reset();
    return Fail(ErrorCode::kSystem, "cannot listen on control socket " + path_ + ": " + error.message());
  }
  Accept();
  return {};
}

void ControlServer::Accept() {
  acceptor_->async_accept([this](const boost::system::error_code& error, stream_protocol::socket socket) {
    if (error == boost::asio::error::operation_aborted || !acceptor_) {
      return;
    }
    if (error) {
      IPOP_LOG(kWarning) << "control socket accept failed: " << error.message();
    } else {
      std::make_shared<ControlSession>(std::move(socket), handler_)->Start();
    }
    Accept();
  });
}

void ControlServer::Stop() {
  if (!acceptor_) {
    return;
  }
  boost::system::error_code ignored;
  acceptor_->close(ignored);
  acceptor_.reset();
  unlink(path_.c_str());
}

}  // namespace ipop::daemon
