#include "config/psk_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/bytes.h"
#include "base/log.h"

namespace ipop::config {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Permission bits for group and others. racoon.conf(5) requires that the
// file "must not be accessible by others".
constexpr mode_t kGroupOtherBits = S_IRWXG | S_IRWXO;

void CheckOwnerAndMode(const std::string& path, const struct stat& status) {
  if ((status.st_mode & kGroupOtherBits) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(status.st_mode & 07777));
    throw ConfigError({path}, std::string("permissions ") + mode +
                                  " let group or others access the pre-shared keys; run "
                                  "\"chmod 600 " +
                                  path + "\"");
  }
  if (status.st_uid != geteuid()) {
    throw ConfigError({path}, "the file is owned by uid " + std::to_string(status.st_uid) +
                                  ", not by uid " + std::to_string(geteuid()) +
                                  " that runs ipop-espd; run \"chown " + std::to_string(geteuid()) +
                                  " " + path + "\"");
  }
}

// Reserving `size` up front keeps the string from reallocating, which would
// leave unwiped copies of the keys on the heap.
std::string ReadWholeFile(int fd, const std::string& path, size_t size) {
  std::string text;
  text.reserve(size + 1);
  char buffer[4096];
  while (true) {
    const ssize_t count = read(fd, buffer, sizeof(buffer));
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      const std::string reason = std::string("reading failed: ") + std::strerror(errno);
      crypto::Wipe(MutableByteView(reinterpret_cast<std::byte*>(text.data()), text.size()));
      throw ConfigError({path}, reason + "; check the file");
    }
    if (count == 0) {
      break;
    }
    text.append(buffer, static_cast<size_t>(count));
  }
  crypto::Wipe(MutableByteView(reinterpret_cast<std::byte*>(buffer), sizeof(buffer)));
  return text;
}

crypto::SecretBytes ParseKey(std::string_view key, const SourceLocation& location) {
  if (key.starts_with("0x") || key.starts_with("0X")) {
    Bytes bytes;
    if (!FromHex(key.substr(2), bytes) || bytes.empty()) {
      throw ConfigError(location,
                        "invalid hexadecimal key; write an even number of hex digits "
                        "after 0x");
    }
    crypto::SecretBytes secret = crypto::SecretBytes::CopyOf(bytes);
    crypto::Wipe(bytes);
    return secret;
  }
  return crypto::SecretBytes::CopyOf(AsBytes(key));
}

}  // namespace

PskMap ParsePskText(std::string_view text, const std::string& filename) {
  PskMap keys;
  int line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    // NOTE: only the line end is stripped. Blanks at the end of a line stay
    // part of the key, because racoon.conf(5) defines the key as everything
    // after the first blanks.
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    size_t first = 0;
    while (first < line.size() && IsBlank(line[first])) {
      ++first;
    }
    if (first == line.size() || line[first] == '#') {
      continue;
    }
    size_t identifier_end = first;
    while (identifier_end < line.size() && !IsBlank(line[identifier_end])) {
      ++identifier_end;
    }
    size_t key_start = identifier_end;
    while (key_start < line.size() && IsBlank(line[key_start])) {
      ++key_start;
    }
    const SourceLocation location{filename, line_number, static_cast<int>(key_start + 1)};
    const std::string identifier(line.substr(first, identifier_end - first));
    if (key_start == line.size()) {
      throw ConfigError({filename, line_number, static_cast<int>(first + 1)},
                        "identifier " + Quote(identifier) + " has no key; write \"" + identifier +
                            " KEY\" on one line");
    }
    crypto::SecretBytes key = ParseKey(line.substr(key_start), location);
    if (keys.contains(identifier)) {
      // racoon uses the first line that matches, so the later one is dead.
      IPOP_LOG(kWarning) << location.Origin() << ": duplicate identifier " << identifier
                         << " in the pre-shared key file; the first entry is used";
      continue;
    }
    keys.emplace(identifier, std::move(key));
  }
  return keys;
}

PskMap LoadPskFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw ConfigError({path}, std::string("cannot open the pre-shared key file: ") +
                                  std::strerror(errno) + "; check path pre_shared_key");
  }
  struct stat status {};
  if (fstat(fd, &status) != 0) {
    const std::string reason = std::strerror(errno);
    close(fd);
    throw ConfigError({path}, "cannot stat the pre-shared key file: " + reason);
  }
  try {
    CheckOwnerAndMode(path, status);
  } catch (...) {
    close(fd);
    throw;
  }
  std::string text = ReadWholeFile(fd, path, static_cast<size_t>(status.st_size));
  close(fd);
  try {
    PskMap keys = ParsePskText(text, path);
    crypto::Wipe(MutableByteView(reinterpret_cast<std::byte*>(text.data()), text.size()));
    return keys;
  } catch (...) {
    crypto::Wipe(MutableByteView(reinterpret_cast<std::byte*>(text.data()), text.size()));
    throw;
  }
}

}  // namespace ipop::config
