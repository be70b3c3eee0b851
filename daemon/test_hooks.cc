#include "daemon/test_hooks.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>

#include "base/log.h"

namespace ipop::daemon {

Result<void> ApplyQuickModeMessageIdHook(ike::IkeService& ike) {
  const char* text = std::getenv(kQuickModeMessageIdVariable);
  if (text == nullptr) {
    return {};
  }
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 0);
  const bool parsed = errno == 0 && end != text && *end == '\0' && text[0] != '-';
  if (!parsed || value == 0 || value > std::numeric_limits<uint32_t>::max()) {
    return Fail(ErrorCode::kInvalidArgument, std::string("invalid ") + kQuickModeMessageIdVariable + " \"" + text +
                                                 "\": expected a nonzero 32-bit number such as 0x5a5a0001");
  }
  auto next = std::make_shared<uint32_t>(static_cast<uint32_t>(value));
  ike.SetMessageIdSourceForTesting([next] { return (*next)++; });

  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", static_cast<uint32_t>(value));
  IPOP_LOG(kWarning) << "test hook: every Quick Mode uses message ID " << hex << " (then " << hex
                     << "+1, +2, ... on the same ISAKMP SA), because " << kQuickModeMessageIdVariable
                     << " is set; unset it outside tests";
  return {};
}

}  // namespace ipop::daemon
