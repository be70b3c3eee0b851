// Reads the hex dumps out of racoon's debug log (ipsec-tools 0.9.1 with
// `-F -ddd -v`), for the known-answer tests over
// tests/vectors/racoon-3des-sha1-modp1024.
//
// racoon writes a value as a message line naming it, then a line whose
// message is empty, then the hex words:
//
//   2026-12-04 19:52:49: DEBUG: SKEYID computed:
//   2026-12-04 19:52:49: DEBUG:
//   a366673f 133f926a 77773614 ded0eac8 55c4248c
//
// A few values put the name and the empty message on one line
// ("DEBUG: nonce1: 2026-12-04 19:52:49: DEBUG: "). Each dump becomes one
// block labelled with the trimmed name ("SKEYID computed:", "nonce1:").
#ifndef IPOP_TESTS_IKE_RACOON_KAT_LOG_H_
#define IPOP_TESTS_IKE_RACOON_KAT_LOG_H_

#include <fstream>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace ipop::test {

struct RacoonLogBlock {
  std::string label;
  Bytes data;
};

class RacoonLog {
 public:
  // Parses the log at `path`. Throws std::runtime_error when it cannot be
  // read, which fails the calling test with the path in the message.
  static RacoonLog Load(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
      throw std::runtime_error("cannot read racoon log " + path);
    }
    // "DATE TIME: [peer] LEVEL: message", where the peer part is optional.
    static const std::regex kMessageLine(
        R"(^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}: (?:\[[^\]]*\] )?[A-Z0-9]+: (.*)$)");
    static const std::regex kEmbeddedTimestamp(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}: )");
    static const std::regex kHexLine(R"(^[0-9a-f]+( [0-9a-f]+)*\s*$)");

    RacoonLog log;
    std::string pending_label;
    bool in_block = false;
    std::string line;
    std::smatch match;
    while (std::getline(in, line)) {
      if (std::regex_match(line, kHexLine)) {
        if (!in_block) {
          log.blocks_.push_back({pending_label, {}});
          in_block = true;
        }
        Append(log.blocks_.back().data, HexToBytes(line));
        continue;
      }
      in_block = false;
      if (!std::regex_match(line, match, kMessageLine)) {
        continue;
      }
      std::string message = match[1].str();
      std::smatch embedded;
      const bool has_embedded = std::regex_search(message, embedded, kEmbeddedTimestamp);
      if (has_embedded) {
        message = embedded.prefix().str();
      }
      message = Trim(message);
      if (!message.empty() && !IsAlgorithmTrace(message)) {
        pending_label = message;
      }
      // An empty message, or a name followed by a second timestamp,
      // announces a hex dump on the next lines.
      if (message.empty() || has_embedded) {
        log.blocks_.push_back({pending_label, {}});
        in_block = true;
      }
    }
    return log;
  }

  // Returns the data of the `index`-th block (from 0) with `label`, or throws
  // std::out_of_range naming the label.
  const Bytes& Get(const std::string& label, size_t index = 0) const {
    size_t seen = 0;
    for (const RacoonLogBlock& block : blocks_) {
      if (block.label == label) {
        if (seen == index) {
          return block.data;
        }
        ++seen;
      }
    }
    throw std::out_of_range("racoon log has no block #" + std::to_string(index) + " labelled \"" +
                            label + "\"");
  }

  // Returns every block whose data starts with `prefix`, for dumps that are
  // recognised by content (a message ID) rather than by position.
  std::vector<Bytes> FindStartingWith(const std::string& label, ByteView prefix) const {
    std::vector<Bytes> found;
    for (const RacoonLogBlock& block : blocks_) {
      if (block.label == label && block.data.size() >= prefix.size() &&
          std::equal(prefix.begin(), prefix.end(), block.data.begin())) {
        found.push_back(block.data);
      }
    }
    return found;
  }

  const std::vector<RacoonLogBlock>& blocks() const { return blocks_; }

 private:
  // racoon logs which algorithm it picks ("hmac(hmac_sha1)", "hash(sha1)",
  // "encryption(3des)") between some names and their dumps, as in
  // "generating K1...K4 for KEYMAT.". These lines never name a value.
  static bool IsAlgorithmTrace(const std::string& message) {
    for (const char* prefix : {"hmac(", "hash(", "encryption("}) {
      if (message.starts_with(prefix)) {
        return true;
      }
    }
    return false;
  }

  static std::string Trim(const std::string& text) {
    const size_t first = text.find_first_not_of(' ');
    if (first == std::string::npos) {
      return {};
    }
    const size_t last = text.find_last_not_of(' ');
    return text.substr(first, last - first + 1);
  }

  std::vector<RacoonLogBlock> blocks_;
};

}  // namespace ipop::test

#endif  // IPOP_TESTS_IKE_RACOON_KAT_LOG_H_
