// SIGHUP and `ipop-esp reload`: reread racoon.conf, the setkey script and
// psk.txt, and switch to them without dropping the SAs they still
// describe. A file that fails to load leaves everything as it was.
#include <string>

#include "base/log.h"
#include "config/config_error.h"
#include "daemon/daemon.h"
#include "daemon/policy_diff.h"
#include "ike/credentials.h"

namespace ipop::daemon {
namespace {

Error WithContext(const std::string& context, const Error& error) {
  return Error{error.code, context + ": " + error.detail, error.notify};
}

}  // namespace

void Daemon::ApplyConfiguredLogLevel() {
  // -d and -v on the command line win over `log`, so that an operator can
  // debug without editing the file.
  if (options_.debug_level > 0 || options_.verbose) {
    return;
  }
  if (configuration_.runtime.log_level) {
    Logger::Get().set_level(*configuration_.runtime.log_level);
  }
}

Result<std::string> Daemon::Reload() {
  if (!ike_ || stopped_) {
    return Fail(ErrorCode::kInvalidState, "ipop-espd is starting or stopping; try again");
  }
  IPOP_LOG(kInfo) << "reload: reading " << options_.config_file << " and setkey "
                  << options_.setkey_file.value_or("(none)");
  LoadedConfiguration next;
  try {
    next = LoadConfiguration(options_.config_file, options_.setkey_file);
  } catch (const config::ConfigError& error) {
    IPOP_LOG(kError) << "reload failed, the running configuration stays: " << error.what();
    return Fail(ErrorCode::kInvalidArgument,
                std::string("reload failed, the running configuration stays: ") + error.what());
  }
  // Credentials are checked before anything changes, so that a missing
  // certificate cannot leave the policies of one file and the SAs of another.
  ike::Credentials credentials;
  if (auto loaded = credentials.Load(next.runtime); !loaded) {
    IPOP_LOG(kError) << "reload failed, the running configuration stays: " << loaded.error().detail;
    return Fail(ErrorCode::kInvalidArgument,
                "reload failed, the running configuration stays: " + loaded.error().detail);
  }

  const config::ListenConfig& listen = configuration_.runtime.listen;
  if (next.runtime.listen.isakmp != listen.isakmp ||
      next.runtime.listen.isakmp_natt != listen.isakmp_natt) {
    IPOP_LOG(kWarning) << "reload: the listen block changed, but the IKE sockets stay as opened "
                          "at start; restart ipop-espd to apply it";
  }

  const PolicyDiff diff = DiffPolicies(offload_->ListPolicies(), next.policies);
  if (auto applied = ApplyPolicyDiff(diff); !applied) {
    IPOP_LOG(kError) << "reload: " << applied.error().detail;
    return std::unexpected(applied.error());
  }
  if (auto switched = ike_->Reconfigure(configuration_.runtime, std::move(next.runtime)); !switched) {
    IPOP_LOG(kError) << "reload: " << switched.error().detail;
    return std::unexpected(switched.error());
  }
  configuration_.policies = std::move(next.policies);
  ApplyConfiguredLogLevel();

  const std::string summary = "reloaded " + options_.config_file + ": " +
                              std::to_string(diff.removed_ids.size()) + " policies removed, " +
                              std::to_string(diff.added.size()) + " added";
  IPOP_LOG(kInfo) << summary;
  return summary + "\n";
}

Result<void> Daemon::ApplyPolicyDiff(const PolicyDiff& diff) {
  if (diff.removed_ids.empty() && diff.added.empty()) {
    return {};
  }
  for (uint32_t id : diff.removed_ids) {
    if (auto deleted = offload_->DeletePolicy(id); !deleted) {
      return std::unexpected(WithContext("removing policy " + std::to_string(id), deleted.error()));
    }
  }
  for (const esp::Policy& policy : diff.added) {
    if (auto added = offload_->AddPolicy(policy); !added) {
      return std::unexpected(WithContext("policy from " + policy.origin, added.error()));
    }
  }
  return RefreshPolicyEnforcement();
}

Result<void> Daemon::RefreshPolicyEnforcement() {
  if (guard_) {
    if (auto installed = guard_->Install(backend_.ListPolicies()); !installed) {
      return std::unexpected(WithContext("fail-closed guard", installed.error()));
    }
  }
  // Routes into the TUN device follow the outbound policies. Traffic that
  // leaves while they are rebuilt meets the blocking kernel policies.
  if (routes_ && !offload_->kernel_carries_policies()) {
    routes_->RemoveAll();
    return SetUpRoutes();
  }
  return {};
}

void Daemon::FollowGeneratedPolicies() {
  if (stopped_) {
    return;
  }
  if (auto refreshed = RefreshPolicyEnforcement(); !refreshed) {
    IPOP_LOG(kError) << "generate_policy: updating the blocking policies and routes failed: "
                     << refreshed.error().detail;
  }
}

}  // namespace ipop::daemon
