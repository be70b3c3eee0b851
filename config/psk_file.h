// racoon's pre-shared key file (racoon.conf(5), "Pre-shared key File"): one
// "IDENTIFIER KEY" pair per line, "#" starts a comment line, a key starting
// with 0x is hexadecimal, any other key is used as its bytes.
#ifndef IPOP_CONFIG_PSK_FILE_H_
#define IPOP_CONFIG_PSK_FILE_H_

#include <map>
#include <string>
#include <string_view>

#include "config/config_error.h"
#include "crypto/secret.h"

namespace ipop::config {

// Identifier (an address, FQDN or user FQDN as written) to key.
using PskMap = std::map<std::string, crypto::SecretBytes>;

// Reads `path`. Throws ConfigError when the file cannot be read, when group
// or others may access it (the fix is "chmod 600 FILE"), when it is owned by
// another user than the one running ipop-espd, or when a line is malformed.
PskMap LoadPskFile(const std::string& path);

// Parses the content of a psk.txt without any file checks; `filename`
// appears in messages.
PskMap ParsePskText(std::string_view text, const std::string& filename);

}  // namespace ipop::config

#endif  // IPOP_CONFIG_PSK_FILE_H_
