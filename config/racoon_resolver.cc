#include "config/racoon_resolver.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "base/log.h"
#include "config/psk_file.h"
#include "config/suggestion.h"

namespace ipop::config {
namespace {

// Directory for a relative `path pidfile`. NOTE: racoon uses the VARRUN
// directory fixed when it was built; /var/run is the usual value, not
// checked against every distribution's build.
constexpr std::string_view kPidfileDirectory = "/var/run/";

// racoon's default ISAKMP port, the UDP port IANA assigns to ISAKMP.
constexpr uint16_t kIsakmpPort = 500;

// Time values above 2^32 - 1 seconds (136 years) are rejected as typos.
constexpr uint64_t kMaxSeconds = std::numeric_limits<uint32_t>::max();

struct TimeUnit {
  std::string_view name;
  uint64_t seconds;
};

constexpr TimeUnit kTimeUnits[] = {
    {"sec", 1},   {"secs", 1},    {"second", 1},   {"seconds", 1}, {"min", 60},
    {"mins", 60}, {"minute", 60}, {"minutes", 60}, {"hour", 3600}, {"hours", 3600},
};

}  // namespace

void ThrowAt(const Token& token, const std::string& reason) {
  throw ConfigError(token.location, reason);
}

bool ReadSwitch(const Directive& directive, const Token& value) {
  if (value.IsWord("on")) {
    return true;
  }
  if (value.IsWord("off")) {
    return false;
  }
  ThrowAt(value,
          "invalid value " + Quote(value.text) + " for " + directive.name + "; use on or off");
}

std::chrono::seconds ReadDuration(const Token& number, const Token& unit) {
  for (const TimeUnit& candidate : kTimeUnits) {
    if (candidate.name == unit.text) {
      if (number.number > kMaxSeconds / candidate.seconds) {
        ThrowAt(number, "time " + number.text + " " + unit.text +
                            " is too long; use at most 4294967295 seconds");
      }
      return std::chrono::seconds(number.number * candidate.seconds);
    }
  }
  std::vector<std::string> names;
  for (const TimeUnit& candidate : kTimeUnits) {
    names.emplace_back(candidate.name);
  }
  const std::string suggestion = DidYouMean(unit.text, names);
  ThrowAt(unit, "unknown time unit " + Quote(unit.text) +
                    (suggestion.empty() ? "; use sec, min or hour" : suggestion));
}

Ipv4Address ReadIpv4Address(const Token& token) {
  if (token.text.find(':') != std::string::npos) {
    ThrowAt(token, "IPv6 address " + token.text + " is not supported yet; use an IPv4 address");
  }
  const std::optional<Ipv4Address> address = Ipv4Address::Parse(token.text);
  if (!address) {
    ThrowAt(token, "invalid IPv4 address " + Quote(token.text) +
                       "; write it as four numbers from 0 to 255, such as 10.0.0.1");
  }
  return *address;
}

const Token* OptionalNumberAt(const std::vector<Token>& arguments, size_t index) {
  if (index < arguments.size() && arguments[index].kind == TokenKind::kNumber) {
    return &arguments[index];
  }
  return nullptr;
}

RacoonResolver::RacoonResolver(const SyntaxTree& tree, const LoadOptions& options)
    : tree_(tree), options_(options) {
  config_.source_file = tree.file;
}

RuntimeConfig RacoonResolver::Run() {
  ResolveTopLevel(tree_.directives);
  ApplyTimers();
  FinishPreSharedKey();
  return std::move(config_);
}

bool RacoonResolver::Admit(const Directive& directive) {
  const DirectiveSpec& spec = *directive.spec;
  const std::string reason(spec.reason);
  switch (spec.support) {
    case Support::kImplemented:
      return true;
    case Support::kIgnored: {
      const std::string notice = directive.location.ToString() + ": " + directive.name +
                                 " is accepted and ignored: " + reason;
      IPOP_LOG(kNotify) << notice;
      config_.notices.push_back(notice);
      return false;
    }
    case Support::kOffOnly:
      if (!ReadSwitch(directive, directive.arguments.front())) {
        return false;
      }
      throw ConfigError(directive.location, directive.name + " on is not supported yet: " + reason +
                                                "; remove the line or set it to off");
    case Support::kUnsupported:
      throw ConfigError(directive.location, directive.name + " is not supported yet: " + reason +
                                                "; remove it to run with ipop-espd");
    case Support::kMisplaced:
      throw ConfigError(directive.location, directive.name + " is not allowed here: " + reason);
  }
  return false;
}

void RacoonResolver::ResolveTopLevel(const std::vector<Directive>& directives) {
  for (const Directive& directive : directives) {
    if (Admit(directive)) {
      ResolveTop(directive);
    }
  }
}

void RacoonResolver::ResolveTop(const Directive& directive) {
  if (directive.name == "include") {
    ResolveInclude(directive);
  } else if (directive.name == "path") {
    ResolvePath(directive);
  } else if (directive.name == "listen") {
    for (const Directive& child : directive.children) {
      if (Admit(child)) {
        ResolveListen(child);
      }
    }
  } else if (directive.name == "timer") {
    for (const Directive& child : directive.children) {
      if (Admit(child)) {
        ResolveTimer(child);
      }
    }
  } else if (directive.name == "log") {
    ResolveLog(directive);
  } else if (directive.name == "remote") {
    ResolveRemote(directive);
  } else if (directive.name == "sainfo") {
    ResolveSainfo(directive);
  }
}

void RacoonResolver::ResolvePath(const Directive& directive) {
  const Token& type = directive.arguments[0];
  const std::string& value = directive.arguments[1].text;
  if (type.text == "pre_shared_key") {
    config_.pre_shared_key_file = value;
    psk_path_location_ = directive.location;
  } else if (type.text == "certificate") {
    config_.certificate_dir = value;
    certificate_path_location_ = directive.location;
  } else if (type.text == "pidfile") {
    config_.pidfile = value.starts_with("/") ? value : std::string(kPidfileDirectory) + value;
  } else if (type.text == "keylog") {
    // An ipop-espd extension: racoon has no key log. The file contains every
    // key, so a name that depends on the working directory is rejected.
    if (!value.starts_with("/")) {
      ThrowAt(directive.arguments[1], "path keylog needs an absolute file name, got " + Quote(value) +
                                          "; write it as \"/var/lib/ipop-esp/keys.log\" or similar");
    }
    config_.keylog_file = value;
  } else if (type.text == "include") {
    include_dir_ = value;
  } else if (type.text == "script") {
    config_.script_dir = value;
  } else if (type.text == "backupsa") {
    const std::string notice = directive.location.ToString() +
                               ": path backupsa is accepted and ignored: ipop-espd restores no "
                               "SAs from a backup file";
    IPOP_LOG(kNotify) << notice;
    config_.notices.push_back(notice);
  } else {
    const std::string suggestion = DidYouMean(
        type.text, {"pre_shared_key", "certificate", "pidfile", "keylog", "include", "script", "backupsa"});
    ThrowAt(type,
            "unknown path type " + Quote(type.text) +
                (suggestion.empty() ? "; use pre_shared_key, certificate or pidfile" : suggestion));
  }
}

void RacoonResolver::ResolveListen(const Directive& directive) {
  const std::vector<Token>& arguments = directive.arguments;
  if (directive.name == "adminsock") {
    config_.listen.adminsock = arguments[0].IsWord("disabled") ? "" : arguments[0].text;
    return;
  }
  if (directive.name == "strict_address") {
    config_.listen.strict_address = true;
    return;
  }
  Endpoint endpoint{ReadIpv4Address(arguments[0]), kIsakmpPort};
  const bool has_port = arguments.size() > 1 && arguments[1].text != "any";
  if (has_port) {
    endpoint.port = static_cast<uint16_t>(arguments[1].number);
  }
  if (directive.name == "isakmp") {
    config_.listen.isakmp.push_back(endpoint);
    return;
  }
  // racoon falls back to port 500 here, which collides with the isakmp
  // socket, so ipop-espd requires the port.
  if (!has_port) {
    ThrowAt(arguments[0],
            "isakmp_natt needs a port; write \"isakmp_natt " + arguments[0].text + " [4500];\"");
  }
  config_.listen.isakmp_natt.push_back(endpoint);
}

void RacoonResolver::ResolveTimer(const Directive& directive) {
  const std::vector<Token>& arguments = directive.arguments;
  const Token& number = arguments[0];
  if (directive.name == "counter") {
    if (number.number > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
      ThrowAt(number, "counter " + number.text + " is too large; use a small number of retries");
    }
    retry_counter_ = static_cast<int>(number.number);
    return;
  }
  if (directive.name == "persend") {
    if (number.number != 1) {
      ThrowAt(number, "persend " + number.text +
                          " is not supported yet: ipop-espd sends each packet once; use 1");
    }
    return;
  }
  const std::chrono::seconds duration = ReadDuration(number, arguments[1]);
  if (directive.name == "natt_keepalive") {
    natt_keepalive_ = duration;  // 0 turns keepalives off, as in racoon
    return;
  }
  if (duration.count() == 0) {
    ThrowAt(number, directive.name + " must be at least 1 second");
  }
  if (directive.name == "interval") {
    retry_interval_ = duration;
  } else if (directive.name == "phase1") {
    phase1_timeout_ = duration;
  } else {
    phase2_timeout_ = duration;
  }
}

void RacoonResolver::ResolveLog(const Directive& directive) {
  static constexpr std::pair<std::string_view, LogLevel> kLevels[] = {
      {"error", LogLevel::kError}, {"warning", LogLevel::kWarning}, {"notify", LogLevel::kNotify},
      {"info", LogLevel::kInfo},   {"debug", LogLevel::kDebug},     {"debug2", LogLevel::kDebug2},
  };
  const Token& value = directive.arguments[0];
  std::vector<std::string> names;
  for (const auto& [name, level] : kLevels) {
    if (value.text == name) {
      config_.log_level = level;
      return;
    }
    names.emplace_back(name);
  }
  const std::string suggestion = DidYouMean(value.text, names);
  ThrowAt(value, "unknown log level " + Quote(value.text) +
                     (suggestion.empty() ? "; use error, warning, notify, info, debug or debug2"
                                         : suggestion));
}

void RacoonResolver::ApplyTimers() {
  for (RemoteConfig& remote : config_.remotes) {
    if (retry_counter_) {
      remote.retry_counter = *retry_counter_;
    }
    if (retry_interval_) {
      remote.retry_interval = *retry_interval_;
    }
    if (phase1_timeout_) {
      remote.phase1_timeout = *phase1_timeout_;
    }
    if (phase2_timeout_) {
      remote.phase2_timeout = *phase2_timeout_;
    }
    if (natt_keepalive_) {
      remote.natt_keepalive = *natt_keepalive_;
    }
  }
}

// racoon reads psk.txt only when a pre-shared key is needed. ipop-espd
// checks it at load, so a missing file or unsafe permissions show up at
// start rather than at the first negotiation.
void RacoonResolver::FinishPreSharedKey() {
  if (!psk_user_) {
    return;
  }
  if (config_.pre_shared_key_file.empty()) {
    throw ConfigError(*psk_user_,
                      "authentication_method pre_shared_key needs a key file; add "
                      "path pre_shared_key \"/etc/racoon/psk.txt\"; at the top level");
  }
  if (options_.check_files) {
    try {
      LoadPskFile(config_.pre_shared_key_file);
    } catch (const ConfigError& error) {
      throw ConfigError(*psk_path_location_, std::string("path pre_shared_key: ") + error.what());
    }
  }
}

RuntimeConfig ParseRacoonConfText(std::string_view text, const std::string& filename,
                                  const LoadOptions& options) {
  const SyntaxTree tree = ParseRacoonSyntax(text, filename);
  return RacoonResolver(tree, options).Run();
}

RuntimeConfig LoadRacoonConf(const std::string& path, const LoadOptions& options) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw ConfigError({path}, std::string("cannot open the configuration file: ") +
                                  std::strerror(errno) + "; check the -f path and its permissions");
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    throw ConfigError({path}, "reading the configuration file failed; check the disk");
  }
  return ParseRacoonConfText(text.str(), path, options);
}

}  // namespace ipop::config
