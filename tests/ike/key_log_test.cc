#include "ike/key_log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace ipop::ike {
namespace {

// The racoon vector's Wireshark tables, which tshark uses to decrypt that
// capture, are the reference for the line formats. The keys in them are the
// ones racoon logged (keys-a.txt).
const std::string kWiresharkDir =
    std::string(IPOP_TEST_DATA_DIR) + "/vectors/racoon-3des-sha1-modp1024/wireshark/";

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  return lines;
}

crypto::SecretBytes SecretFromHex(std::string_view hex) { return crypto::SecretBytes::CopyOf(HexToBytes(hex)); }

Cookie CookieFromHex(std::string_view hex) {
  Cookie cookie{};
  const Bytes bytes = HexToBytes(hex);
  std::copy(bytes.begin(), bytes.end(), cookie.begin());
  return cookie;
}

esp::EspSaConfig RacoonOutboundSa() {
  esp::EspSaConfig config;
  config.spi = 0x03613ddd;
  config.source = *Ipv4Address::Parse("10.77.0.1");
  config.destination = *Ipv4Address::Parse("10.77.0.2");
  config.cipher = crypto::EspCipher::k3desCbc;
  config.integrity = crypto::EspIntegrity::kHmacSha1_96;
  config.cipher_key = SecretFromHex("630a30b3f26a7372a270aef701af0c0eefe8f4c74ef87f73");
  config.integrity_key = SecretFromHex("4a1fa5d06bbc20c13e94dc5fc8c57391c06212c9");
  return config;
}

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/ipop-key-log-test.XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() { std::system(("rm -rf " + path_).c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(KeyLogTest, IsakmpLineMatchesRacoonVectorTable) {
  const auto expected = ReadLines(kWiresharkDir + "ikev1_decryption_table");
  ASSERT_EQ(expected.size(), 1u);

  const std::string line = KeyLog::FormatIsakmpSa(
      CookieFromHex("006d2aece15feaaa"), SecretFromHex("91b18c7d59c355db171a41a4138f6f045c33cc414623a146"));

  EXPECT_EQ(line, expected[0]);
}

TEST(KeyLogTest, EspLineMatchesRacoonVectorTable) {
  const auto expected = ReadLines(kWiresharkDir + "esp_sa");
  ASSERT_EQ(expected.size(), 2u);

  EXPECT_EQ(KeyLog::FormatEspSa(RacoonOutboundSa()), expected[0]);
}

TEST(KeyLogTest, EspLineNamesGcmAndSha256ForWireshark) {
  esp::EspSaConfig gcm = RacoonOutboundSa();
  gcm.cipher = crypto::EspCipher::kAesGcm16;
  gcm.aes_key_bits = 128;
  gcm.integrity = crypto::EspIntegrity::kNone;
  gcm.cipher_key = SecretFromHex("000102030405060708090a0b0c0d0e0f10111213");  // key || salt
  gcm.integrity_key = crypto::SecretBytes();
  EXPECT_EQ(KeyLog::FormatEspSa(gcm),
            "\"IPv4\",\"10.77.0.1\",\"10.77.0.2\",\"0x03613ddd\",\"AES-GCM with 16 octet ICV [RFC4106]\","
            "\"0x000102030405060708090a0b0c0d0e0f10111213\",\"NULL\",\"\"");

  esp::EspSaConfig cbc = RacoonOutboundSa();
  cbc.cipher = crypto::EspCipher::kAesCbc;
  cbc.integrity = crypto::EspIntegrity::kHmacSha256_128;
  const std::string line = KeyLog::FormatEspSa(cbc);
  EXPECT_NE(line.find("\"AES-CBC [RFC3602]\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"HMAC-SHA-256-128 [RFC4868]\""), std::string::npos) << line;
}

TEST(KeyLogTest, OpenCreatesOwnerOnlyFileAndAppends) {
  TempDir dir;
  const std::string path = dir.path() + "/keys";
  {
    auto log = KeyLog::Open(path);
    ASSERT_TRUE(log.has_value()) << log.error().detail;
    (*log)->AddEspSa(RacoonOutboundSa());
  }
  struct stat status {};
  ASSERT_EQ(stat(path.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600u);
  {
    auto log = KeyLog::Open(path);
    ASSERT_TRUE(log.has_value()) << log.error().detail;
    (*log)->AddIsakmpSa(CookieFromHex("006d2aece15feaaa"), SecretFromHex("0011"));
  }

  const std::string expected_esp = ReadLines(kWiresharkDir + "esp_sa")[0];
  EXPECT_EQ(ReadFile(path), expected_esp + "\n006d2aece15feaaa,0011\n");
}

TEST(KeyLogTest, OpenRejectsFileReadableByOthers) {
  TempDir dir;
  const std::string path = dir.path() + "/keys";
  std::ofstream(path) << "";
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);

  auto log = KeyLog::Open(path);

  ASSERT_FALSE(log.has_value());
  EXPECT_NE(log.error().detail.find("0644"), std::string::npos) << log.error().detail;
  EXPECT_NE(log.error().detail.find("chmod 600 " + path), std::string::npos) << log.error().detail;
}

TEST(KeyLogTest, OpenRejectsGroupWritableFile) {
  TempDir dir;
  const std::string path = dir.path() + "/keys";
  std::ofstream(path) << "";
  ASSERT_EQ(chmod(path.c_str(), 0620), 0);

  EXPECT_FALSE(KeyLog::Open(path).has_value());
}

TEST(KeyLogTest, OpenRejectsDirectory) {
  TempDir dir;

  auto log = KeyLog::Open(dir.path());

  ASSERT_FALSE(log.has_value());
}

}  // namespace
}  // namespace ipop::ike
