// Logging in racoon's line shape, because operators' scripts grep for it:
//   2026-12-04 19:52:49: INFO: ISAKMP-SA established 10.0.0.1[500]-...
// A line is built only when its level is enabled:
//   IPOP_LOG(kInfo) << "initiate new phase 1 negotiation: " << peer;
// Never stream key material into a log line; the key log is separate.
#ifndef IPOP_BASE_LOG_H_
#define IPOP_BASE_LOG_H_

#include <sstream>
#include <string>
#include <string_view>

namespace ipop {

enum class LogLevel { kError = 0, kWarning = 1, kNotify = 2, kInfo = 3, kDebug = 4, kDebug2 = 5 };

// "ERROR", "WARNING", "NOTIFY", "INFO", "DEBUG", "DEBUG2", as racoon prints them.
const char* LogLevelName(LogLevel level);

class Logger {
 public:
  // Lines go to stderr until OpenFile succeeds.
  static Logger& Get();

  void set_level(LogLevel level) { level_ = level; }
  LogLevel level() const { return level_; }
  bool Enabled(LogLevel level) const { return level <= level_; }

  // Appends to `path` instead of stderr; returns false and keeps stderr if
  // the file cannot be opened.
  bool OpenFile(const std::string& path);
  // Sends a copy of every line to this string, for tests; nullptr stops it.
  void set_capture(std::string* capture) { capture_ = capture; }

  void Write(LogLevel level, std::string_view message);

 private:
  Logger() = default;
  LogLevel level_ = LogLevel::kInfo;
  int fd_ = 2;
  std::string* capture_ = nullptr;
};

// One log line; written when the statement ends.
class LogLine {
 public:
  explicit LogLine(LogLevel level) : level_(level) {}
  ~LogLine() { Logger::Get().Write(level_, stream_.str()); }
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;

  std::ostringstream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace ipop

#define IPOP_LOG(level)                                              \
  if (!::ipop::Logger::Get().Enabled(::ipop::LogLevel::level)) {     \
  } else                                                             \
    ::ipop::LogLine(::ipop::LogLevel::level).stream()

#endif  // IPOP_BASE_LOG_H_
