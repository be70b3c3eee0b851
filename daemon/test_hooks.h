#pragma once

#include "base/error.h"
#include "ike/ike_service.h"

namespace ipop::daemon {

// Environment variable that makes every Quick Mode use a fixed message ID,
// so that an integration test can give two initiators the same ID towards
// one responder. Value: a nonzero 32-bit number, decimal or 0x-prefixed hex.
inline constexpr const char* kQuickModeMessageIdVariable = "IPOP_ESP_TEST_QUICK_MODE_MESSAGE_ID";

// Reads kQuickModeMessageIdVariable once. When it is set, installs a message
// ID source on `ike` that returns the value, then value+1, value+2 and so on,
// and logs a warning. Informational exchanges draw from the same source. The engine skips IDs already used on the same ISAKMP
// SA, so a constant source would never end. Does nothing when the variable
// is unset, and fails when its value is not a nonzero 32-bit number.
Result<void> ApplyQuickModeMessageIdHook(ike::IkeService& ike);

}  // namespace ipop::daemon
