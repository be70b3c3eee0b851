// Runs racoon's phase 1 hook scripts (`script "FILE" phase1_up;`) without
// blocking the IKE thread. Each script starts with posix_spawn, the
// io_context reaps it when SIGCHLD arrives, and its exit status is logged.
#ifndef IPOP_DAEMON_SCRIPT_RUNNER_H_
#define IPOP_DAEMON_SCRIPT_RUNNER_H_

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "ike/ike_service.h"

namespace ipop::daemon {

// racoon's name of the event, passed to the script as its first argument:
// "phase1_up", "phase1_down" or "phase1_dead".
const char* ScriptEventName(ike::Phase1EventKind kind);

// The environment racoon 0.8 gives a phase 1 script, and nothing else (no
// PATH): LOCAL_ADDR, LOCAL_PORT, REMOTE_ADDR, REMOTE_PORT, and REMOTE_ID
// when the peer's identity is known. racoon adds Mode Config variables
// such as INTERNAL_ADDR4 only with Mode Config, which is not implemented.
std::vector<std::string> ScriptEnvironment(const ike::Phase1Event& event);

class ScriptRunner {
 public:
  explicit ScriptRunner(boost::asio::io_context& io);
  ScriptRunner(const ScriptRunner&) = delete;
  ScriptRunner& operator=(const ScriptRunner&) = delete;

  // Starts the script that the event's remote section names for it, if any.
  void Run(const ike::Phase1Event& event);

  // Starts `path` with the arguments {path, argument} and exactly
  // `environment`. Returns the child's process ID.
  Result<pid_t> Start(const std::string& path, const std::string& argument,
                      const std::vector<std::string>& environment);

  // Scripts started and not yet reaped.
  size_t running() const { return children_.size(); }

 private:
  void WaitForChildren();
  void ReapChildren();

  boost::asio::signal_set child_signals_;
  // Process ID to "phase1_up /path/script", for the exit log line.
  std::map<pid_t, std::string> children_;
};

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_SCRIPT_RUNNER_H_
