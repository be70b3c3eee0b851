#include "config/config_error.h"

namespace ipop::config {

std::string SourceLocation::ToString() const {
  if (line == 0) {
    return file;
  }
  if (column == 0) {
    return Origin();
  }
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string SourceLocation::Origin() const { return file + ":" + std::to_string(line); }

ConfigError::ConfigError(const SourceLocation& location, const std::string& reason)
    : std::runtime_error(location.ToString() + ": " + reason),
      location_(location),
      reason_(reason) {}

std::string Quote(const std::string& text) { return "\"" + text + "\""; }

}  // namespace ipop::config
