#include "daemon/configuration.h"

#include <algorithm>

#include "config/config_error.h"
#include "config/racoon_conf.h"
#include "config/setkey_script.h"

namespace ipop::daemon {

namespace {

bool SameSelector(const esp::Selector& a, const esp::Selector& b) {
  return a.source == b.source && a.destination == b.destination && a.protocol == b.protocol &&
         a.source_port == b.source_port && a.destination_port == b.destination_port;
}

}  // namespace

std::vector<esp::Policy> ApplySetkeyScript(const config::SetkeyScript& script) {
  std::vector<esp::Policy> policies;
  for (const config::SetkeyCommand& command : script.commands) {
    switch (command.type) {
      case config::SetkeyCommandType::kSpdAdd:
        policies.push_back(command.policy);
        break;
      case config::SetkeyCommandType::kSpdDelete: {
        auto match = std::find_if(policies.begin(), policies.end(), [&](const esp::Policy& policy) {
          return policy.direction == command.policy.direction &&
                 SameSelector(policy.selector, command.policy.selector);
        });
        if (match == policies.end()) {
          throw config::ConfigError(config::SourceLocation{command.origin, 0, 0},
                                    "spddelete matches no earlier spdadd; remove the line or fix "
                                    "its selector");
        }
        policies.erase(match);
        break;
      }
      case config::SetkeyCommandType::kSpdFlush:
        policies.clear();
        break;
      case config::SetkeyCommandType::kFlush:
        // `flush` empties the SAD only; ipop-espd has no manual SAs to drop.
        break;
    }
  }
  return policies;
}

LoadedConfiguration LoadConfiguration(const std::string& racoon_conf,
                                      const std::optional<std::string>& setkey_script) {
  LoadedConfiguration loaded;
  loaded.runtime = config::LoadRacoonConf(racoon_conf);
  if (setkey_script) {
    loaded.policies = ApplySetkeyScript(config::LoadSetkeyScript(*setkey_script));
  }
  return loaded;
}

}  // namespace ipop::daemon
