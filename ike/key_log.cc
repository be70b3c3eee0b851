#include "ike/key_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>

#include "base/log.h"

namespace ipop::ike {
namespace {

// Permission bits that must be clear on the key log: any access for group
// or others would let another user decrypt the captured traffic.
constexpr mode_t kGroupOtherBits = S_IRWXG | S_IRWXO;

std::string ModeText(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Names from the cipher and integrity lists of Wireshark 4.0's ESP dissector
// (the `esp_sa` user table). A name not in those lists disables decryption.
const char* WiresharkCipherName(crypto::EspCipher cipher) {
  switch (cipher) {
    case crypto::EspCipher::kNull:
      return "NULL";
    case crypto::EspCipher::k3desCbc:
      return "TripleDES-CBC [RFC2451]";
    case crypto::EspCipher::kAesCbc:
      return "AES-CBC [RFC3602]";
    case crypto::EspCipher::kAesGcm16:
      return "AES-GCM with 16 octet ICV [RFC4106]";
  }
  return "NULL";
}

const char* WiresharkIntegrityName(crypto::EspIntegrity integrity) {
  switch (integrity) {
    case crypto::EspIntegrity::kNone:
      return "NULL";
    case crypto::EspIntegrity::kHmacSha1_96:
      return "HMAC-SHA-1-96 [RFC2404]";
    case crypto::EspIntegrity::kHmacSha256_128:
      return "HMAC-SHA-256-128 [RFC4868]";
    case crypto::EspIntegrity::kHmacSha256_96:
      return "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]";
    case crypto::EspIntegrity::kHmacSha384_192:
      return "HMAC-SHA-384-192 [RFC4868]";
    case crypto::EspIntegrity::kHmacSha512_256:
      return "HMAC-SHA-512-256 [RFC4868]";
  }
  return "NULL";
}

std::string Quoted(const std::string& field) { return "\"" + field + "\""; }

}  // namespace

Result<std::unique_ptr<KeyLog>> KeyLog::Open(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Fail(ErrorCode::kSystem, "cannot open key log " + path + ": " + std::strerror(errno));
  }
  struct stat status {};
  if (fstat(fd, &status) != 0) {
    const int saved_errno = errno;
    close(fd);
    return Fail(ErrorCode::kSystem, "cannot stat key log " + path + ": " + std::strerror(saved_errno));
  }
  if (!S_ISREG(status.st_mode)) {
    close(fd);
    return Fail(ErrorCode::kInvalidArgument, "key log " + path + " is not a regular file");
  }
  if ((status.st_mode & kGroupOtherBits) != 0) {
    close(fd);
    return Fail(ErrorCode::kInvalidArgument, "key log " + path + " has mode " + ModeText(status.st_mode) +
                                                 ", so group or others can access the keys; run: chmod 600 " +
                                                 path);
  }
  return std::unique_ptr<KeyLog>(new KeyLog(path, fd));
}

KeyLog::~KeyLog() { close(fd_); }

std::string KeyLog::FormatIsakmpSa(const Cookie& cookie_i, const crypto::SecretBytes& encryption_key) {
  return ToHex(cookie_i) + "," + ToHex(encryption_key.view());
}

std::string KeyLog::FormatEspSa(const esp::EspSaConfig& config) {
  char spi[16];
  std::snprintf(spi, sizeof(spi), "0x%08x", config.spi);
  std::string line = Quoted("IPv4") + "," + Quoted(config.source.ToString()) + "," +
                     Quoted(config.destination.ToString()) + "," + Quoted(spi) + "," +
                     Quoted(WiresharkCipherName(config.cipher)) + "," +
                     Quoted("0x" + ToHex(config.cipher_key.view())) + "," +
                     Quoted(WiresharkIntegrityName(config.integrity)) + ",";
  // Wireshark expects an empty key field when there is no integrity key.
  line += config.integrity_key.empty() ? Quoted("") : Quoted("0x" + ToHex(config.integrity_key.view()));
  return line;
}

void KeyLog::AddIsakmpSa(const Cookie& cookie_i, const crypto::SecretBytes& encryption_key) {
  std::string line = FormatIsakmpSa(cookie_i, encryption_key);
  Append(line);
}

void KeyLog::AddEspSa(const esp::EspSaConfig& config) {
  std::string line = FormatEspSa(config);
  Append(line);
}

void KeyLog::Append(std::string& line) {
  line += '\n';
  const ssize_t written = write(fd_, line.data(), line.size());
  if (written != static_cast<ssize_t>(line.size())) {
    // The message names the file only: the line holds keys.
    IPOP_LOG(kError) << "writing the key log " << path_ << " failed: "
                     << (written < 0 ? std::strerror(errno) : "short write");
  }
  crypto::Wipe(std::as_writable_bytes(std::span(line.data(), line.size())));
}

}  // namespace ipop::ike
