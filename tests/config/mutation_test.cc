// Damaged input must end in a ConfigError, never in a crash or another
// exception: each sample is cut at every byte, and has every byte removed
// and replaced by characters that matter to the lexers.
#include <gtest/gtest.h>

#include <exception>
#include <string>

#include "base/log.h"
#include "config/psk_file.h"
#include "config/racoon_conf.h"
#include "config/setkey_script.h"
#include "config_test_util.h"

namespace ipop::config {
namespace {

constexpr const char* kRacoonSample = R"(path certificate "/certs";
path pre_shared_key "/psk.txt";
log debug;
listen { isakmp 10.0.0.1 [500]; isakmp_natt 10.0.0.1 [4500]; adminsock "/run/a.sock"; }
timer { counter 5; interval 10 sec; natt_keepalive 15 sec; }
padding { randomize off; }
remote 10.0.0.2 {
  exchange_mode main, aggressive;
  my_identifier fqdn "a.example";
  peers_identifier address 10.0.0.2;
  certificate_type x509 "cert.pem" "key.pem";
  ca_type x509 "ca.pem";
  lifetime time 1 hour;
  proposal { encryption_algorithm aes 256; hash_algorithm sha256;
             authentication_method rsasig; dh_group 14; }
}
sainfo address 10.0.0.0/24 [any] any address 10.0.1.0/24 any {
  pfs_group modp2048; encryption_algorithm aes 128, 3des;
  authentication_algorithm hmac_sha1, hmac_sha256; compression_algorithm deflate;
}
/* done */
)";

constexpr const char* kSetkeySample = R"(flush;
spdflush;
spdadd 10.0.0.0/24[80] 10.0.1.0/24[any] tcp -P out ipsec esp/transport//require;
spdadd 10.0.1.0/24 10.0.0.0/24 any -P in ipsec esp/tunnel/10.0.0.1-10.0.0.2/use;
spddelete 10.0.0.0/24 10.0.1.0/24 tcp -P out;
add 10.0.0.1 10.0.0.2 esp 0x1000 -m transport -E 3des-cbc 0x0011 -A hmac-sha1 "k";
)";

constexpr const char* kPskSample = "# keys\n10.0.0.1 secret\npeer.example 0x0a0b\n";

// Returns "" when `parse` loads or raises ConfigError, else a description.
template <typename Parse>
std::string UnexpectedFailure(const std::string& text, Parse parse) {
  try {
    parse(text);
  } catch (const ConfigError&) {
  } catch (const std::exception& error) {
    return std::string("non-ConfigError exception: ") + error.what();
  }
  return "";
}

// Silences the NOTIFY and WARNING lines that thousands of loads would log.
class QuietLog {
 public:
  QuietLog() : saved_(Logger::Get().level()) { Logger::Get().set_level(LogLevel::kError); }
  ~QuietLog() { Logger::Get().set_level(saved_); }

 private:
  LogLevel saved_;
};

template <typename Parse>
void CheckMutations(const std::string& sample, Parse parse) {
  const QuietLog quiet;
  for (size_t i = 0; i <= sample.size(); ++i) {
    const std::string cut = sample.substr(0, i);
    EXPECT_EQ(UnexpectedFailure(cut, parse), "") << "cut at byte " << i;
  }
  for (size_t i = 0; i < sample.size(); ++i) {
    std::string removed = sample;
    removed.erase(i, 1);
    EXPECT_EQ(UnexpectedFailure(removed, parse), "") << "byte " << i << " removed";
    for (char replacement : {'{', '}', ';', '"', '[', ']', '/', '#', ',', '9', 'x', '-'}) {
      std::string replaced = sample;
      replaced[i] = replacement;
      EXPECT_EQ(UnexpectedFailure(replaced, parse), "")
          << "byte " << i << " replaced by " << replacement;
    }
  }
}

TEST(ConfigMutationTest, RacoonConfFailsCleanly) {
  CheckMutations(kRacoonSample, [](const std::string& text) {
    ParseRacoonConfText(text, "m.conf", LoadOptions{.check_files = false});
  });
}

TEST(ConfigMutationTest, SetkeyScriptFailsCleanly) {
  CheckMutations(kSetkeySample, [](const std::string& text) { ParseSetkeyText(text, "m.setkey"); });
}

TEST(ConfigMutationTest, PskTextFailsCleanly) {
  CheckMutations(kPskSample, [](const std::string& text) { ParsePskText(text, "psk.txt"); });
}

}  // namespace
}  // namespace ipop::config
