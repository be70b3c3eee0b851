// Loading racoon.conf (ipsec-tools racoon, racoon.conf(5)) into the
// RuntimeConfig that the daemon and the exchanges read.
#ifndef IPOP_CONFIG_RACOON_CONF_H_
#define IPOP_CONFIG_RACOON_CONF_H_

#include <string>
#include <string_view>

#include "config/config_error.h"
#include "config/runtime_config.h"

namespace ipop::config {

struct LoadOptions {
  // Check that certificate, key and CA files exist and are readable, and
  // that psk.txt has safe permissions. Tests of pure syntax turn it off.
  bool check_files = true;
};

// Reads, parses, validates and resolves `path`. Throws ConfigError whose
// what() is "FILE:LINE:COLUMN: REASON", the reason ending with what to do.
RuntimeConfig LoadRacoonConf(const std::string& path, const LoadOptions& options = {});

// The same for text already in memory; `filename` appears in messages and in
// the origin fields.
RuntimeConfig ParseRacoonConfText(std::string_view text, const std::string& filename,
                                  const LoadOptions& options = {});

}  // namespace ipop::config

#endif  // IPOP_CONFIG_RACOON_CONF_H_
