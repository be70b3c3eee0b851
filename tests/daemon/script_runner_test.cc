// Runs real scripts through ScriptRunner and checks their arguments,
// environment and the exit status in the log.
#include "daemon/script_runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/log.h"

namespace ipop::daemon {
namespace {

class ScriptRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = std::filesystem::temp_directory_path() / "ipop-script-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    Logger::Get().set_capture(&log_);
  }
  void TearDown() override {
    Logger::Get().set_capture(nullptr);
    std::filesystem::remove_all(dir_);
  }

  std::string WriteScript(const std::string& name, const std::string& body) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    return path;
  }

  // Runs the io_context until every started script is reaped, for at most
  // five seconds.
  void RunUntilReaped(ScriptRunner& runner) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (runner.running() > 0 && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds(50));
      io_.restart();
    }
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream file(path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
  }

  boost::asio::io_context io_;
  std::string dir_;
  std::string log_;
};

ike::Phase1Event UpEvent() {
  ike::Phase1Event event;
  event.kind = ike::Phase1EventKind::kUp;
  event.local = Endpoint{*Ipv4Address::Parse("10.77.0.1"), 500};
  event.remote = Endpoint{*Ipv4Address::Parse("10.77.0.2"), 4500};
  event.peer_identity = "C=US, O=IPOP, CN=10.77.0.2";
  return event;
}

TEST_F(ScriptRunnerTest, PassesRacoonEnvironmentAndArgument) {
  const std::string output = dir_ + "/out.txt";
  ike::Phase1Event event = UpEvent();
  event.scripts.phase1_up = WriteScript("up.sh", "echo \"$1\" > " + output + "\nenv | sort >> " + output + "\n");
  ScriptRunner runner(io_);

  runner.Run(event);
  ASSERT_EQ(runner.running(), 1u);
  RunUntilReaped(runner);

  EXPECT_EQ(runner.running(), 0u);
  // sh adds PWD (and may add SHLVL and _) to what it was given, so those
  // lines are dropped before the comparison.
  std::istringstream lines(ReadFile(output));
  std::string line;
  std::string kept;
  while (std::getline(lines, line)) {
    if (!line.starts_with("PWD=") && !line.starts_with("SHLVL=") && !line.starts_with("_=")) {
      kept += line + "\n";
    }
  }
  EXPECT_EQ(kept,
            "phase1_up\n"
            "LOCAL_ADDR=10.77.0.1\n"
            "LOCAL_PORT=500\n"
            "REMOTE_ADDR=10.77.0.2\n"
            "REMOTE_ID=C=US, O=IPOP, CN=10.77.0.2\n"
            "REMOTE_PORT=4500\n");
  EXPECT_NE(log_.find("exited with status 0"), std::string::npos) << log_;
}

TEST_F(ScriptRunnerTest, LogsNonZeroExitStatus) {
  ike::Phase1Event event = UpEvent();
  event.kind = ike::Phase1EventKind::kDead;
  event.scripts.phase1_dead = WriteScript("dead.sh", "exit 3\n");
  ScriptRunner runner(io_);

  runner.Run(event);
  RunUntilReaped(runner);

  EXPECT_NE(log_.find("WARNING: script phase1_dead " + event.scripts.phase1_dead), std::string::npos) << log_;
  EXPECT_NE(log_.find("exited with status 3"), std::string::npos) << log_;
}

TEST_F(ScriptRunnerTest, EventWithoutScriptStartsNothing) {
  ike::Phase1Event event = UpEvent();
  event.kind = ike::Phase1EventKind::kDown;
  event.scripts.phase1_up = WriteScript("up.sh", "exit 0\n");
  ScriptRunner runner(io_);

  runner.Run(event);
  EXPECT_EQ(runner.running(), 0u);
}

TEST_F(ScriptRunnerTest, MissingScriptIsLogged) {
  ike::Phase1Event event = UpEvent();
  event.scripts.phase1_up = dir_ + "/missing.sh";
  ScriptRunner runner(io_);

  runner.Run(event);
  EXPECT_EQ(runner.running(), 0u);
  EXPECT_NE(log_.find("failed to start"), std::string::npos) << log_;
}

TEST_F(ScriptRunnerTest, RunDoesNotWaitForScript) {
  ike::Phase1Event event = UpEvent();
  event.scripts.phase1_up = WriteScript("slow.sh", "sleep 1\n");
  ScriptRunner runner(io_);

  const auto start = std::chrono::steady_clock::now();
  runner.Run(event);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_EQ(runner.running(), 1u);
  RunUntilReaped(runner);
  EXPECT_EQ(runner.running(), 0u);
}

}  // namespace
}  // namespace ipop::daemon
