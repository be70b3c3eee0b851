// ipop-espd: parses the command line, loads the configuration, detaches
// unless -F is given, and runs the daemon until SIGINT or SIGTERM.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "config/config_error.h"
#include "daemon/configuration.h"
#include "daemon/daemon.h"
#include "daemon/daemon_options.h"

namespace {

constexpr int kExitUsage = 2;

// Forks into the background and detaches from the terminal. Returns false
// in the parent (which then exits) and true in the daemon.
bool Detach() {
  const pid_t child = fork();
  if (child < 0) {
    std::perror("ipop-espd: fork");
    std::exit(1);
  }
  if (child > 0) {
    return false;
  }
  setsid();
  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    dup2(null_fd, STDIN_FILENO);
    dup2(null_fd, STDOUT_FILENO);
    dup2(null_fd, STDERR_FILENO);
    close(null_fd);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> arguments(argv + 1, argv + argc);
  auto options = ipop::daemon::ParseDaemonArguments(arguments);
  if (!options) {
    std::cerr << "ipop-espd: " << options.error().detail << "\n";
    return kExitUsage;
  }
  if (options->show_help) {
    std::cout << ipop::daemon::DaemonUsage();
    return 0;
  }
  if (options->show_version) {
    std::cout << "ipop-espd " << IPOP_VERSION << "\n";
    return 0;
  }

  ipop::Logger& logger = ipop::Logger::Get();
  logger.set_level(options->log_level());
  if (options->log_file && !logger.OpenFile(*options->log_file)) {
    std::cerr << "ipop-espd: cannot open log file " << *options->log_file << "\n";
    return 1;
  }

  ipop::daemon::LoadedConfiguration configuration;
  try {
    configuration = ipop::daemon::LoadConfiguration(options->config_file, options->setkey_file);
  } catch (const ipop::config::ConfigError& error) {
    // Log lines go to stderr unless -l named a file, and then the operator
    // still needs to see why the start failed.
    IPOP_LOG(kError) << error.what();
    if (options->log_file) {
      std::cerr << "ipop-espd: " << error.what() << "\n";
    }
    return 1;
  }

  if (!options->foreground) {
    if (!options->log_file) {
      std::cerr << "ipop-espd: running in the background without -l: log lines are discarded "
                   "(use -F or -l FILE)\n";
    }
    if (!Detach()) {
      return 0;
    }
  }
  // A control client that disconnects early must not kill the daemon.
  signal(SIGPIPE, SIG_IGN);

  try {
    ipop::daemon::Daemon daemon(std::move(*options), std::move(configuration));
    return daemon.Run();
  } catch (const std::exception& error) {
    IPOP_LOG(kError) << "fatal: " << error.what();
    return 1;
  }
}
