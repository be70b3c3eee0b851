#include "base/log.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <ctime>
#include <mutex>

namespace ipop {

namespace {

std::mutex& WriteMutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kNotify:
      return "NOTIFY";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kDebug2:
      return "DEBUG2";
  }
  return "?";
}

Logger& Logger::Get() {
  static Logger logger;
  return logger;
}

bool Logger::OpenFile(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return false;
  }
  std::lock_guard lock(WriteMutex());
  if (fd_ != 2) {
    close(fd_);
  }
  fd_ = fd;
  return true;
}

void Logger::Write(LogLevel level, std::string_view message) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &local);

  std::string line = stamp;
  line += ": ";
  line += LogLevelName(level);
  line += ": ";
  line += message;
  line += '\n';

  std::lock_guard lock(WriteMutex());
  if (capture_ != nullptr) {
    *capture_ += line;
  }
  // A failed log write has nowhere better to go.
  [[maybe_unused]] ssize_t written = write(fd_, line.data(), line.size());
}

}  // namespace ipop
