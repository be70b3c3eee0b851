#include "config/runtime_config.h"

#include <array>

namespace ipop::config {

const RemoteConfig* RuntimeConfig::FindRemote(Ipv4Address peer) const {
  const RemoteConfig* anonymous = nullptr;
  for (const RemoteConfig& remote : remotes) {
    if (remote.address == peer) {
      return &remote;
    }
    if (!remote.address && anonymous == nullptr) {
      anonymous = &remote;
    }
  }
  return anonymous;
}

const SainfoConfig* RuntimeConfig::FindSainfo(const Ipv4Prefix& local, const Ipv4Prefix& remote,
                                              std::string_view peer_identity) const {
  enum Level { kExact, kHalfAnonymous, kAnonymous, kLevels };
  // best[level][0] has a matching `from`, best[level][1] has none.
  std::array<std::array<const SainfoConfig*, 2>, kLevels> best{};
  for (const SainfoConfig& sainfo : sainfos) {
    size_t from_rank = 1;
    if (sainfo.peer_identifier) {
      if (peer_identity.empty() || sainfo.peer_identifier->value != peer_identity) {
        continue;
      }
      from_rank = 0;
    }
    Level level;
    if (sainfo.local == local && sainfo.remote == remote) {
      level = kExact;
    } else if (!sainfo.local && !sainfo.remote) {
      level = kAnonymous;
    } else if ((!sainfo.local || sainfo.local == local) &&
               (!sainfo.remote || sainfo.remote == remote)) {
      level = kHalfAnonymous;
    } else {
      continue;
    }
    if (best[level][from_rank] == nullptr) {
      best[level][from_rank] = &sainfo;
    }
  }
  for (const auto& candidates : best) {
    for (const SainfoConfig* sainfo : candidates) {
      if (sainfo != nullptr) {
        return sainfo;
      }
    }
  }
  return nullptr;
}

}  // namespace ipop::config
