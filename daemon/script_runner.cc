#include "daemon/script_runner.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstring>

#include "base/log.h"

namespace ipop::daemon {

const char* ScriptEventName(ike::Phase1EventKind kind) {
  switch (kind) {
    case ike::Phase1EventKind::kUp:
      return "phase1_up";
    case ike::Phase1EventKind::kDown:
      return "phase1_down";
    case ike::Phase1EventKind::kDead:
      return "phase1_dead";
  }
  return "phase1_unknown";
}

std::vector<std::string> ScriptEnvironment(const ike::Phase1Event& event) {
  std::vector<std::string> environment = {
      "LOCAL_ADDR=" + event.local.address.ToString(),
      "LOCAL_PORT=" + std::to_string(event.local.port),
      "REMOTE_ADDR=" + event.remote.address.ToString(),
      "REMOTE_PORT=" + std::to_string(event.remote.port),
  };
  if (!event.peer_identity.empty()) {
    environment.push_back("REMOTE_ID=" + event.peer_identity);
  }
  return environment;
}

ScriptRunner::ScriptRunner(boost::asio::io_context& io) : child_signals_(io, SIGCHLD) {
  WaitForChildren();
}

void ScriptRunner::Run(const ike::Phase1Event& event) {
  const config::ScriptHooks& scripts = event.scripts;
  const std::string* path = nullptr;
  switch (event.kind) {
    case ike::Phase1EventKind::kUp:
      path = &scripts.phase1_up;
      break;
    case ike::Phase1EventKind::kDown:
      path = &scripts.phase1_down;
      break;
    case ike::Phase1EventKind::kDead:
      path = &scripts.phase1_dead;
      break;
  }
  if (path->empty()) {
    return;
  }
  const char* name = ScriptEventName(event.kind);
  auto started = Start(*path, name, ScriptEnvironment(event));
  if (!started) {
    IPOP_LOG(kError) << "script " << name << " " << *path << " for " << event.remote.ToString()
                     << " failed to start: " << started.error().detail;
    return;
  }
  IPOP_LOG(kInfo) << "script " << name << " " << *path << " started for "
                  << event.remote.ToString() << " (pid " << *started << ")";
}

Result<pid_t> ScriptRunner::Start(const std::string& path, const std::string& argument,
                                  const std::vector<std::string>& environment) {
  std::vector<char*> argv = {const_cast<char*>(path.c_str()),
                             const_cast<char*>(argument.c_str()), nullptr};
  std::vector<char*> envp;
  for (const std::string& entry : environment) {
    envp.push_back(const_cast<char*>(entry.c_str()));
  }
  envp.push_back(nullptr);

  // The child must not inherit the daemon's blocked or ignored signals
  // (SIGPIPE is ignored, asio may block SIGCHLD).
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGCHLD);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, path.c_str(), nullptr, &attributes, argv.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    return Fail(ErrorCode::kSystem, "posix_spawn " + path + ": " + std::strerror(error));
  }
  children_[pid] = argument + " " + path;
  return pid;
}

void ScriptRunner::WaitForChildren() {
  child_signals_.async_wait([this](const boost::system::error_code& error, int /*signal*/) {
    if (error) {
      return;
    }
    ReapChildren();
    WaitForChildren();
  });
}

// Only our own scripts are waited for, by process ID, so children that other
// parts of the daemon start are left to them.
void ScriptRunner::ReapChildren() {
  for (auto it = children_.begin(); it != children_.end();) {
    int status = 0;
    const pid_t reaped = waitpid(it->first, &status, WNOHANG);
    if (reaped == 0) {
      ++it;
      continue;
    }
    if (reaped < 0) {
      IPOP_LOG(kWarning) << "script " << it->second << " (pid " << it->first
                         << "): waitpid failed: " << std::strerror(errno);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      IPOP_LOG(kInfo) << "script " << it->second << " (pid " << it->first << ") exited with status 0";
    } else if (WIFEXITED(status)) {
      IPOP_LOG(kWarning) << "script " << it->second << " (pid " << it->first
                         << ") exited with status " << WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      IPOP_LOG(kWarning) << "script " << it->second << " (pid " << it->first
                         << ") was killed by signal " << WTERMSIG(status);
    } else {
      ++it;
      continue;
    }
    it = children_.erase(it);
  }
}

}  // namespace ipop::daemon
