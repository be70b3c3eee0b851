// The client side of the control protocol (see control_format.h), used by
// the ipop-esp CLI.
#ifndef IPOP_DAEMON_CONTROL_CLIENT_H_
#define IPOP_DAEMON_CONTROL_CLIENT_H_

#include <string>
#include <string_view>

#include "base/error.h"

namespace ipop::daemon {

// Sends `request` to the daemon at `path` and returns the report after the
// "OK" line. Fails with kSystem when the socket cannot be reached (the detail
// tells the operator to check that ipop-espd runs and to use --control) and with
// kInvalidArgument when the daemon replies ERROR.
Result<std::string> SendControlRequest(const std::string& path, std::string_view request);

// Splits a raw reply into the report (after "OK\n") or the daemon's error.
Result<std::string> ParseControlReply(std::string_view reply);

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_CONTROL_CLIENT_H_
