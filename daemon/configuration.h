// Loading of everything the daemon reads at start: the racoon.conf and the
// optional setkey script, reduced to the runtime configuration and the list
// of policies to install. Errors are config::ConfigError exceptions whose
// what() is "FILE:LINE:COLUMN: reason".
#ifndef IPOP_DAEMON_CONFIGURATION_H_
#define IPOP_DAEMON_CONFIGURATION_H_

#include <optional>
#include <string>
#include <vector>

#include "config/runtime_config.h"
#include "config/setkey_script.h"
#include "esp/policy.h"

namespace ipop::daemon {

struct LoadedConfiguration {
  config::RuntimeConfig runtime;
  // The policies left after running the setkey script's commands in order:
  // spdadd adds, spddelete removes a match and spdflush clears. `flush`
  // concerns SAs only and leaves the policies alone.
  std::vector<esp::Policy> policies;
};

// Runs a parsed setkey script's commands in order and returns the policies
// left. Throws config::ConfigError for a spddelete that matches nothing.
std::vector<esp::Policy> ApplySetkeyScript(const config::SetkeyScript& script);

// Throws config::ConfigError.
LoadedConfiguration LoadConfiguration(const std::string& racoon_conf,
                                      const std::optional<std::string>& setkey_script);

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_CONFIGURATION_H_
