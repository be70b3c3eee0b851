#include "daemon/control_server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include "daemon/control_client.h"
#include "daemon/control_format.h"

namespace ipop::daemon {
namespace {

// A fresh directory under the system temp dir; removed with its contents.
class TempDirectory {
 public:
  TempDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ipop-control-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDirectory() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs a ControlServer on its own thread for the duration of a test.
class ControlServerTest : public ::testing::Test {
 protected:
  void StartServer(const std::string& path) {
    server_ = std::make_unique<ControlServer>(io_, path, [](std::string_view request) {
      if (request == "spd") {
        return ControlOkReply("Policies: 0\n");
      }
      return ControlErrorReply("unknown command \"" + std::string(request) + "\"");
    });
    auto started = server_->Start();
    ASSERT_TRUE(started) << started.error().detail;
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (thread_.joinable()) {
      boost::asio::post(io_, [this] { server_->Stop(); });
      io_.stop();
      thread_.join();
    }
  }

  TempDirectory directory_;
  boost::asio::io_context io_;
  std::unique_ptr<ControlServer> server_;
  std::thread thread_;
};

TEST_F(ControlServerTest, AnswersRequest) {
  const std::string path = (directory_.path() / "run" / "ctl.sock").string();
  StartServer(path);
  auto report = SendControlRequest(path, "spd");
  ASSERT_TRUE(report) << report.error().detail;
  EXPECT_EQ(*report, "Policies: 0\n");
}

TEST_F(ControlServerTest, UnknownCommandIsError) {
  const std::string path = (directory_.path() / "ctl.sock").string();
  StartServer(path);
  auto report = SendControlRequest(path, "bogus");
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().detail, "ipop-espd: unknown command \"bogus\"");
}

TEST_F(ControlServerTest, SocketFileIsPrivate) {
  const std::string path = (directory_.path() / "ctl.sock").string();
  StartServer(path);
  const auto permissions = std::filesystem::status(path).permissions();
  EXPECT_EQ(permissions & std::filesystem::perms::group_all, std::filesystem::perms::none);
  EXPECT_EQ(permissions & std::filesystem::perms::others_all, std::filesystem::perms::none);
}

TEST_F(ControlServerTest, SecondServerOnSamePathRejected) {
  const std::string path = (directory_.path() / "ctl.sock").string();
  StartServer(path);
  boost::asio::io_context other_io;
  ControlServer second(other_io, path, [](std::string_view) { return std::string(); });
  auto started = second.Start();
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().detail.find("another daemon"), std::string::npos);
}

TEST(ControlServer, StaleSocketReplaced) {
  TempDirectory directory;
  const std::string path = (directory.path() / "ctl.sock").string();
  // A bound socket that is closed without unlink leaves the file behind, as
  // a killed daemon does.
  {
    boost::asio::io_context io;
    boost::asio::local::stream_protocol::acceptor dead(io);
    dead.open(boost::asio::local::stream_protocol());
    dead.bind(boost::asio::local::stream_protocol::endpoint(path));
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  boost::asio::io_context io;
  ControlServer server(io, path, [](std::string_view) { return std::string(); });
  auto started = server.Start();
  EXPECT_TRUE(started) << started.error().detail;
}

TEST(ControlServer, RegularFileAtPathRejected) {
  TempDirectory directory;
  const std::string path = (directory.path() / "ctl.sock").string();
  { std::FILE* file = std::fopen(path.c_str(), "w"); std::fclose(file); }
  boost::asio::io_context io;
  ControlServer server(io, path, [](std::string_view) { return std::string(); });
  auto started = server.Start();
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().detail.find("not a socket"), std::string::npos);
}

TEST(ControlClient, MissingDaemonExplained) {
  TempDirectory directory;
  const std::string path = (directory.path() / "absent.sock").string();
  auto report = SendControlRequest(path, "sa");
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().detail.find("cannot connect to " + path), std::string::npos);
  EXPECT_NE(report.error().detail.find("is ipop-espd running?"), std::string::npos);
  EXPECT_NE(report.error().detail.find("--control"), std::string::npos);
}

}  // namespace
}  // namespace ipop::daemon
