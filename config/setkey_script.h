// setkey(8) scripts of ipsec-tools: the policy commands ipop-espd applies at
// start (spdadd, spddelete, spdflush, flush). Manual SA commands (add,
// delete) are parsed for syntax and then rejected, because ipop-espd
// negotiates every SA with IKE.
#ifndef IPOP_CONFIG_SETKEY_SCRIPT_H_
#define IPOP_CONFIG_SETKEY_SCRIPT_H_

#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.h"
#include "esp/policy.h"

namespace ipop::config {

enum class SetkeyCommandType { kSpdAdd, kSpdDelete, kSpdFlush, kFlush };

struct SetkeyCommand {
  SetkeyCommandType type = SetkeyCommandType::kSpdAdd;
  // kSpdAdd and kSpdDelete; policy.origin is "file:line" of the command.
  // A spddelete that gives only "-P DIRECTION" leaves the action kIpsec
  // with level kDefault.
  esp::Policy policy;
  // kFlush: the SA type after "flush" (esp, ah, ...), empty for all.
  std::string flush_protocol;
  std::string origin;  // "file:line"
};

struct SetkeyScript {
  std::vector<SetkeyCommand> commands;  // in file order
  // "file:line: ..." for input that setkey accepts but that may not mean
  // what was intended, such as a prefix with host bits set. Each is also
  // logged at WARNING.
  std::vector<std::string> warnings;
};

// Reads and parses `path`. Throws ConfigError ("FILE:LINE:COLUMN: REASON").
SetkeyScript LoadSetkeyScript(const std::string& path);

// The same for text in memory; `filename` appears in messages and origins.
SetkeyScript ParseSetkeyText(std::string_view text, const std::string& filename);

}  // namespace ipop::config

#endif  // IPOP_CONFIG_SETKEY_SCRIPT_H_
