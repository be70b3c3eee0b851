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
  const SainfoConfig* anonymous = nullptr;
  for (const SainfoConfig& sainfo : sainfos) {
    if (sainfo.local == local && sainfo.remote == remote) {
      return &sainfo;
    }
    if (!sainfo.local && !sainfo.remote && anonymous == nullptr) {
      anonymous = &sainfo;
    }
  }
  return anonymous;
}

}  // namespace ipop::config
