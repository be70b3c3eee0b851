// Errors raised while loading racoon.conf, setkey scripts and psk.txt.
// Loading happens once at start-up, off the packet path, so these are
// exceptions rather than Result values.
#ifndef IPOP_CONFIG_CONFIG_ERROR_H_
#define IPOP_CONFIG_CONFIG_ERROR_H_

#include <stdexcept>
#include <string>

namespace ipop::config {

// A place in a configuration file. Lines and columns count from 1, and a
// tab counts as one column. Line 0 means the whole file.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  // "racoon.conf:12:9", or "racoon.conf:12" without a column, or the file
  // name alone for line 0.
  std::string ToString() const;
  // "racoon.conf:12", the form esp::Policy::origin and RemoteConfig::origin use.
  std::string Origin() const;
};

// what() is "FILE:LINE:COLUMN: REASON", and REASON ends with what to do.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const SourceLocation& location, const std::string& reason);

  const SourceLocation& location() const { return location_; }
  const std::string& reason() const { return reason_; }

 private:
  SourceLocation location_;
  std::string reason_;
};

// Quotes a value for a message: "3des" with double quotes.
std::string Quote(const std::string& text);

}  // namespace ipop::config

#endif  // IPOP_CONFIG_CONFIG_ERROR_H_
