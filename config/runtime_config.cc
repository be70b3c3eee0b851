#include "config/runtime_config.h"

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

const SainfoConfig* RuntimeConfig::FindSainfo(const Ipv4Prefix& local,
                                              const Ipv4Prefix& remote) const {
  const SainfoConfig* half_anonymous = nullptr;
  const SainfoConfig* anonymous = nullptr;
  for (const SainfoConfig& sainfo : sainfos) {
    if (sainfo.local == local && sainfo.remote == remote) {
      return &sainfo;
    }
    const bool local_matches = !sainfo.local || sainfo.local == local;
    const bool remote_matches = !sainfo.remote || sainfo.remote == remote;
    if (!sainfo.local && !sainfo.remote) {
      if (anonymous == nullptr) {
        anonymous = &sainfo;
      }
    } else if (local_matches && remote_matches && half_anonymous == nullptr) {
      half_anonymous = &sainfo;
    }
  }
  return half_anonymous != nullptr ? half_anonymous : anonymous;
}

}  // namespace ipop::config
