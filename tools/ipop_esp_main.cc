// ipop-esp: the operator CLI. Asks a running ipop-espd over its control
// socket, or checks a configuration offline.
#include <iostream>
#include <string_view>
#include <vector>

#include "config/config_error.h"
#include "daemon/cli_options.h"
#include "daemon/configuration.h"
#include "daemon/control_client.h"

namespace {

constexpr int kExitUsage = 2;

int RunCheck(const ipop::daemon::CliOptions& options) {
  try {
    const auto loaded = ipop::daemon::LoadConfiguration(options.config_file, options.setkey_file);
    std::cout << options.config_file << ": OK (" << loaded.runtime.remotes.size() << " remote, "
              << loaded.runtime.sainfos.size() << " sainfo, "
              << loaded.runtime.listen.isakmp.size() + loaded.runtime.listen.isakmp_natt.size()
              << " listen endpoints)\n";
    if (options.setkey_file) {
      std::cout << *options.setkey_file << ": OK (" << loaded.policies.size() << " policies)\n";
    }
    return 0;
  } catch (const ipop::config::ConfigError& error) {
    std::cerr << "ipop-esp: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> arguments(argv + 1, argv + argc);
  auto options = ipop::daemon::ParseCliArguments(arguments);
  if (!options) {
    std::cerr << "ipop-esp: " << options.error().detail << "\n";
    return kExitUsage;
  }

  switch (options->command) {
    case ipop::daemon::CliCommand::kHelp:
      std::cout << ipop::daemon::CliUsage();
      return 0;
    case ipop::daemon::CliCommand::kVersion:
      std::cout << "ipop-esp " << IPOP_VERSION << "\n";
      return 0;
    case ipop::daemon::CliCommand::kCheck:
      return RunCheck(*options);
    case ipop::daemon::CliCommand::kSa:
    case ipop::daemon::CliCommand::kSpd:
    case ipop::daemon::CliCommand::kStatus:
    case ipop::daemon::CliCommand::kReload:
      break;
  }

  auto report = ipop::daemon::SendControlRequest(options->control_socket,
                                                 ipop::daemon::ControlRequestFor(*options));
  if (!report) {
    std::cerr << "ipop-esp: " << report.error().detail << "\n";
    return 1;
  }
  std::cout << *report;
  return 0;
}
