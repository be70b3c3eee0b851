#include "daemon/cli_options.h"

#include "daemon/daemon_options.h"

namespace ipop::daemon {

namespace {

std::optional<CliCommand> CommandFromWord(std::string_view word) {
  if (word == "sa") {
    return CliCommand::kSa;
  }
  if (word == "spd") {
    return CliCommand::kSpd;
  }
  if (word == "status") {
    return CliCommand::kStatus;
  }
  if (word == "reload") {
    return CliCommand::kReload;
  }
  if (word == "check") {
    return CliCommand::kCheck;
  }
  if (word == "help") {
    return CliCommand::kHelp;
  }
  return std::nullopt;
}

}  // namespace

Result<CliOptions> ParseCliArguments(std::span<const std::string_view> arguments) {
  CliOptions options;
  options.control_socket = kDefaultControlSocket;
  options.config_file = kDefaultConfigFile;
  std::optional<CliCommand> command;
  bool config_given = false;

  for (size_t i = 0; i < arguments.size(); ++i) {
    std::string_view flag = arguments[i];
    std::optional<std::string> inline_value;
    if (const size_t equals = flag.find('='); flag.starts_with("--") && equals != flag.npos) {
      inline_value = std::string(flag.substr(equals + 1));
      flag = flag.substr(0, equals);
    }
    auto value = [&]() -> Result<std::string> {
      if (inline_value) {
        return *inline_value;
      }
      if (i + 1 >= arguments.size()) {
        return Fail(ErrorCode::kInvalidArgument, std::string(flag) + ": missing value");
      }
      return std::string(arguments[++i]);
    };

    const bool listing = command == CliCommand::kSa || command == CliCommand::kSpd;
    if (flag == "--setkey" && listing && !inline_value) {
      options.setkey_format = true;
    } else if (flag == "--control" || flag == "-f" || flag == "--config" || flag == "--setkey") {
      auto text = value();
      if (!text) {
        return std::unexpected(text.error());
      }
      if (flag == "--control") {
        options.control_socket = *text;
      } else if (flag == "--setkey") {
        options.setkey_file = *text;
      } else {
        options.config_file = *text;
        config_given = true;
      }
    } else if (flag == "-h" || flag == "--help") {
      command = CliCommand::kHelp;
    } else if (flag == "-V" || flag == "--version") {
      command = CliCommand::kVersion;
    } else if (flag.starts_with("-")) {
      return Fail(ErrorCode::kInvalidArgument, "unknown option \"" + std::string(flag) + "\"; see --help");
    } else if (command) {
      return Fail(ErrorCode::kInvalidArgument, "unexpected argument \"" + std::string(flag) + "\"; see --help");
    } else {
      command = CommandFromWord(flag);
      if (!command) {
        return Fail(ErrorCode::kInvalidArgument,
                    "unknown command \"" + std::string(flag) + "\"; commands: sa, spd, status, reload, check");
      }
    }
  }

  if (!command) {
    return Fail(ErrorCode::kInvalidArgument, "missing command; commands: sa, spd, status, reload, check");
  }
  if (*command != CliCommand::kCheck && (config_given || options.setkey_file)) {
    return Fail(ErrorCode::kInvalidArgument, "-f and --setkey apply only to the check command");
  }
  options.command = *command;
  return options;
}

std::string_view ControlRequestFor(CliCommand command) {
  switch (command) {
    case CliCommand::kSa:
      return "sa";
    case CliCommand::kSpd:
      return "spd";
    case CliCommand::kStatus:
      return "status";
    case CliCommand::kReload:
      return "reload";
    case CliCommand::kCheck:
    case CliCommand::kHelp:
    case CliCommand::kVersion:
      break;
  }
  return "";
}

std::string ControlRequestFor(const CliOptions& options) {
  std::string request(ControlRequestFor(options.command));
  if (options.setkey_format) {
    request += " setkey";
  }
  return request;
}

std::string CliUsage() {
  return R"(Usage: ipop-esp [--control PATH] COMMAND
Operator CLI for ipop-espd.

Commands that ask the running daemon (over its control socket):
  sa       list ISAKMP SAs (peer, cookies, state, algorithms, age) and ESP SAs
           (peer, SPI, direction, algorithms, age, bytes, packets, backend)
  spd      list the security policies and what enforces them (backend)
  sa --setkey, spd --setkey
           print the SAs or policies in `setkey -D` / `setkey -DP` layout
           (without keys)
  status   print uptime and counters
  reload   reread racoon.conf, the setkey script and psk.txt, as SIGHUP does;
           SAs that the new files still describe are kept, and a file that
           fails to load leaves the running configuration in place

Offline command:
  check [-f FILE] [--setkey FILE]
           load a racoon.conf (default /etc/racoon/racoon.conf) and an
           optional setkey script and report the first error, as ipop-espd
           would at start

Options:
  --control PATH   control socket of the daemon
                   (default /run/ipop-esp/ipop-espd.sock)
  -V, --version    print the version and exit
  -h, --help       print this help and exit
)";
}

}  // namespace ipop::daemon
