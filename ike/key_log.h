// The Wireshark key log that `ipop-espd --keylog FILE` writes: one line per
// ISAKMP SA and one per ESP SA, so that a capture of the daemon's traffic can
// be decrypted for debugging and interop checks.
//
// Line formats (Wireshark 4.0 user tables; a line can be passed to tshark as
// `-o uat:ikev1_decryption_table:LINE` or `-o uat:esp_sa:LINE`):
//   ISAKMP: CKY-I hex,IKE cipher key hex
//           (the `ikev1_decryption_table` of the ISAKMP dissector)
//   ESP:    "IPv4","SRC","DST","0xSPI","CIPHER","0xKEY","INTEGRITY","0xKEY"
//           (the `esp_sa` table of the ESP dissector; for AES-GCM the key
//           is key || 4-byte salt, RFC 4106 §8.1, and the integrity is "NULL")
#ifndef IPOP_IKE_KEY_LOG_H_
#define IPOP_IKE_KEY_LOG_H_

#include <memory>
#include <string>

#include "base/error.h"
#include "crypto/secret.h"
#include "esp/kernel_seam.h"
#include "ike/constants.h"

namespace ipop::ike {

class KeyLog {
 public:
  // Opens `path` for appending, creating it with mode 0600. Fails when the
  // file cannot be opened, is not a regular file, or grants any permission
  // to group or others; that error names the path, the mode and the chmod
  // command that fixes it.
  static Result<std::unique_ptr<KeyLog>> Open(const std::string& path);

  ~KeyLog();
  KeyLog(const KeyLog&) = delete;
  KeyLog& operator=(const KeyLog&) = delete;

  // Appends the ISAKMP SA line. `encryption_key` is the IKE cipher key
  // derived from SKEYID_e (RFC 2409 Appendix B), not SKEYID_e itself.
  void AddIsakmpSa(const Cookie& cookie_i, const crypto::SecretBytes& encryption_key);
  // Appends the ESP SA line for one direction.
  void AddEspSa(const esp::EspSaConfig& config);

  const std::string& path() const { return path_; }

  // The lines themselves, for tests. The returned strings hold key material.
  static std::string FormatIsakmpSa(const Cookie& cookie_i, const crypto::SecretBytes& encryption_key);
  static std::string FormatEspSa(const esp::EspSaConfig& config);

 private:
  KeyLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  // Writes `line` and a newline with one write(2), then wipes `line`.
  void Append(std::string& line);

  std::string path_;
  int fd_;
};

}  // namespace ipop::ike

#endif  // IPOP_IKE_KEY_LOG_H_
