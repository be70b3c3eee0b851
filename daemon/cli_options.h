// Command line of the ipop-esp operator CLI:
//   ipop-esp [--control PATH] sa|spd|status|reload
//   ipop-esp [--control PATH] sa|spd --setkey
//   ipop-esp check [-f FILE] [--setkey FILE]
#ifndef IPOP_DAEMON_CLI_OPTIONS_H_
#define IPOP_DAEMON_CLI_OPTIONS_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"

namespace ipop::daemon {

enum class CliCommand { kSa, kSpd, kStatus, kReload, kCheck, kHelp, kVersion };

struct CliOptions {
  CliCommand command = CliCommand::kHelp;
  std::string control_socket;  // kDefaultControlSocket unless --control
  std::string config_file;     // for check; kDefaultConfigFile unless -f
  std::optional<std::string> setkey_file;
  // `sa --setkey` and `spd --setkey`: print setkey -D / -DP format.
  bool setkey_format = false;
};

// Parses argv[1..]. Options may come before or after the command word.
Result<CliOptions> ParseCliArguments(std::span<const std::string_view> arguments);

// The control request word for a command that talks to the daemon.
std::string_view ControlRequestFor(CliCommand command);
// The control request for parsed options: "sa setkey" and "spd setkey" when
// setkey_format is set, otherwise ControlRequestFor(options.command).
std::string ControlRequestFor(const CliOptions& options);

std::string CliUsage();

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_CLI_OPTIONS_H_
