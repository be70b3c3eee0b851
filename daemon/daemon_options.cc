#include "daemon/daemon_options.h"

#include <charconv>
#include <vector>

namespace ipop::daemon {

namespace {

// Accepts decimal or 0x-prefixed hexadecimal, as `ip rule fwmark` does.
Result<uint32_t> ParseUnsigned(std::string_view flag, std::string_view text) {
  int base = 10;
  std::string_view digits = text;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    base = 16;
    digits.remove_prefix(2);
  }
  uint32_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string(flag) + ": invalid number \"" + std::string(text) + "\"");
  }
  return value;
}

class ArgumentCursor {
 public:
  explicit ArgumentCursor(std::span<const std::string_view> arguments) : arguments_(arguments) {}

  bool done() const { return index_ >= arguments_.size(); }
  std::string_view Next() { return arguments_[index_++]; }

  // The value of `flag`: the text after '=' for "--flag=value", otherwise
  // the next argument.
  Result<std::string> Value(std::string_view flag, std::optional<std::string_view> inline_value) {
    if (inline_value) {
      return std::string(*inline_value);
    }
    if (done()) {
      return Fail(ErrorCode::kInvalidArgument, std::string(flag) + ": missing value");
    }
    return std::string(Next());
  }

 private:
  std::span<const std::string_view> arguments_;
  size_t index_ = 0;
};

// Handles one flag that takes a value. Returns false if `flag` is not one.
Result<bool> ApplyValueFlag(std::string_view flag, const std::string& value, DaemonOptions& options) {
  if (flag == "-f" || flag == "--config") {
    options.config_file = value;
  } else if (flag == "--setkey") {
    options.setkey_file = value;
  } else if (flag == "--control") {
    options.control_socket = value;
  } else if (flag == "-l" || flag == "--logfile") {
    options.log_file = value;
  } else if (flag == "--pidfile") {
    options.pid_file = value;
  } else if (flag == "--keylog") {
    options.key_log_file = value;
  } else if (flag == "--tun") {
    options.tun_name = value;
  } else if (flag == "--mtu") {
    auto mtu = ParseUnsigned(flag, value);
    if (!mtu) {
      return std::unexpected(mtu.error());
    }
    if (*mtu < kMinTunMtu || *mtu > kDefaultPathMtu) {
      return Fail(ErrorCode::kInvalidArgument, "--mtu: " + value + " is outside " +
                                                   std::to_string(kMinTunMtu) + ".." +
                                                   std::to_string(kDefaultPathMtu));
    }
    options.tun_mtu = *mtu;
  } else if (flag == "--table") {
    auto table = ParseUnsigned(flag, value);
    if (!table) {
      return std::unexpected(table.error());
    }
    // 0 is RT_TABLE_UNSPEC and 253..255 are default, main and local.
    if (*table == 0 || (*table >= 253 && *table <= 255)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--table: " + value + " is reserved (0, 253, 254 and 255 are the kernel's)");
    }
    options.route_table = *table;
  } else if (flag == "--fwmark") {
    auto fwmark = ParseUnsigned(flag, value);
    if (!fwmark) {
      return std::unexpected(fwmark.error());
    }
    if (*fwmark == 0) {
      return Fail(ErrorCode::kInvalidArgument, "--fwmark: 0 is the mark of unmarked packets");
    }
    options.fwmark = *fwmark;
  } else if (flag == "--offload") {
    auto mode = esp::xfrm::ParseOffloadMode(value);
    if (!mode) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--offload: invalid mode \"" + value + "\"; use auto, kernel or userspace");
    }
    options.offload = *mode;
  } else {
    return false;
  }
  return true;
}

bool IsValueFlag(std::string_view flag) {
  static constexpr std::string_view kValueFlags[] = {
      "-f", "--config", "--setkey", "--control", "-l", "--logfile", "--pidfile", "--keylog",
      "--tun", "--mtu", "--table", "--fwmark", "--offload"};
  for (std::string_view known : kValueFlags) {
    if (flag == known) {
      return true;
    }
  }
  return false;
}

// Handles a flag without a value, including bundled short flags ("-Fdd").
Result<void> ApplySwitches(std::string_view argument, DaemonOptions& options) {
  if (argument == "--foreground") {
    options.foreground = true;
  } else if (argument == "--debug") {
    ++options.debug_level;
  } else if (argument == "--verbose") {
    options.verbose = true;
  } else if (argument == "--help") {
    options.show_help = true;
  } else if (argument == "--version") {
    options.show_version = true;
  } else if (argument == "--unblock-on-stop") {
    options.unblock_on_stop = true;
  } else if (argument.size() >= 2 && argument[0] == '-' && argument[1] != '-') {
    for (char letter : argument.substr(1)) {
      switch (letter) {
        case 'F':
          options.foreground = true;
          break;
        case 'd':
          ++options.debug_level;
          break;
        case 'v':
          options.verbose = true;
          break;
        case 'h':
          options.show_help = true;
          break;
        case 'V':
          options.show_version = true;
          break;
        default:
          return Fail(ErrorCode::kInvalidArgument,
                      "unknown option -" + std::string(1, letter) + " in \"" + std::string(argument) +
                          "\"; see --help");
      }
    }
  } else {
    return Fail(ErrorCode::kInvalidArgument,
                "unknown option \"" + std::string(argument) + "\"; see --help");
  }
  return {};
}

}  // namespace

LogLevel DaemonOptions::log_level() const {
  if (debug_level >= 2) {
    return LogLevel::kDebug2;
  }
  if (debug_level == 1 || verbose) {
    return LogLevel::kDebug;
  }
  return LogLevel::kInfo;
}

Result<DaemonOptions> ParseDaemonArguments(std::span<const std::string_view> arguments) {
  DaemonOptions options;
  ArgumentCursor cursor(arguments);
  while (!cursor.done()) {
    const std::string_view argument = cursor.Next();
    std::string_view flag = argument;
    std::optional<std::string_view> inline_value;
    if (const size_t equals = argument.find('='); argument.starts_with("--") && equals != argument.npos) {
      flag = argument.substr(0, equals);
      inline_value = argument.substr(equals + 1);
    }

    if (IsValueFlag(flag)) {
      auto value = cursor.Value(flag, inline_value);
      if (!value) {
        return std::unexpected(value.error());
      }
      if (auto applied = ApplyValueFlag(flag, *value, options); !applied) {
        return std::unexpected(applied.error());
      }
      continue;
    }
    if (inline_value) {
      return Fail(ErrorCode::kInvalidArgument, std::string(flag) + " takes no value");
    }
    if (auto applied = ApplySwitches(argument, options); !applied) {
      return std::unexpected(applied.error());
    }
  }
  return options;
}

std::string DaemonUsage() {
  return R"(Usage: ipop-espd [options]
IKEv1 and userspace ESP daemon that reads racoon.conf and setkey scripts.

  -F, --foreground     stay in the foreground and log to stderr
  -f, --config FILE    racoon.conf to load (default /etc/racoon/racoon.conf)
      --setkey FILE    setkey script whose policies are loaded at start
      --control PATH   UNIX control socket for ipop-esp
                       (default /run/ipop-esp/ipop-espd.sock)
  -l, --logfile FILE   append log lines to FILE instead of stderr
      --pidfile FILE   write the process id to FILE (overrides the
                       configuration's `path pidfile`; none by default)
      --keylog FILE    append the keys of every ISAKMP SA and ESP SA to FILE
                       in the formats of Wireshark's ikev1_decryption_table
                       and esp_sa tables, for decrypting captures; FILE
                       must not be accessible to group or others (chmod 600)
  -d, --debug          log at DEBUG level; -dd logs at DEBUG2
  -v, --verbose        log at DEBUG level
      --tun NAME       TUN device name, at most 15 characters (default ipopesp0)
      --mtu BYTES      TUN device MTU (default 1419: 1500 minus the largest
                       ESP and NAT-T overhead)
      --table N        routing table for protected ranges (default 50)
      --fwmark N       socket mark that bypasses that table (default 50)
      --unblock-on-stop
                       remove the kernel policies that block cleartext on a
                       clean stop (by default they stay, as with racoon)
      --offload MODE   which ESP carries the SAs: kernel (Linux XFRM),
                       userspace (TUN device), or auto (default): probe the
                       kernel at start and use userspace ESP for what it
                       cannot carry
  -V, --version        print the version and exit
  -h, --help           print this help and exit
)";
}

}  // namespace ipop::daemon
