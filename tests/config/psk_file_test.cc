#include "config/psk_file.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "base/bytes.h"
#include "config_test_util.h"

namespace ipop::config {
namespace {

bool KeyEquals(const crypto::SecretBytes& key, ByteView expected) {
  return std::ranges::equal(key.view(), expected);
}

// The sample in racoon.conf(5), "Pre-shared key File", plus a comment, a
// blank line and a key with blanks.
constexpr const char* kSample =
    "# keys for the overlay\n"
    "10.160.94.3     mekmitasdigoat\n"
    "172.16.1.133    0x12345678\n"
    "\n"
    "foo@kame.net\tkey with blanks\n"
    "foo.kame.net    hoge\r\n";

TEST(PskFileTest, ParsesTextAndHexKeys) {
  const PskMap keys = ParsePskText(kSample, "psk.txt");

  ASSERT_EQ(keys.size(), 4u);
  EXPECT_TRUE(KeyEquals(keys.at("10.160.94.3"), AsBytes("mekmitasdigoat")));
  EXPECT_TRUE(KeyEquals(keys.at("172.16.1.133"), HexToBytes("12345678")));
  EXPECT_TRUE(KeyEquals(keys.at("foo@kame.net"), AsBytes("key with blanks")));
  EXPECT_TRUE(KeyEquals(keys.at("foo.kame.net"), AsBytes("hoge")));
}

TEST(PskFileTest, FirstDuplicateWins) {
  const PskMap keys = ParsePskText("10.0.0.1 first\n10.0.0.1 second\n", "psk.txt");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_TRUE(KeyEquals(keys.at("10.0.0.1"), AsBytes("first")));
}

TEST(PskFileTest, MalformedLinesAreRejected) {
  try {
    ParsePskText("10.0.0.1 good\n10.0.0.2 0x123\n", "psk.txt");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(),
                 "psk.txt:2:10: invalid hexadecimal key; write an even number of "
                 "hex digits after 0x");
  }
  try {
    ParsePskText("  10.0.0.3\n", "psk.txt");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(),
                 "psk.txt:1:3: identifier \"10.0.0.3\" has no key; write "
                 "\"10.0.0.3 KEY\" on one line");
  }
}

TEST(PskFileTest, GroupOrOtherAccessIsRejected) {
  testing::TempDir dir;
  const std::string path = dir.File("psk.txt");
  for (const mode_t mode : {0644, 0640, 0604, 0660}) {
    testing::WriteFile(path, "10.0.0.1 secret\n", mode);
    try {
      LoadPskFile(path);
      FAIL() << "mode " << std::oct << mode << " was accepted";
    } catch (const ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find("run \"chmod 600 " + path + "\""), std::string::npos)
          << error.what();
    }
  }
}

TEST(PskFileTest, OwnerOnlyFileLoads) {
  testing::TempDir dir;
  const std::string path = dir.File("psk.txt");
  for (const mode_t mode : {0600, 0400}) {
    testing::WriteFile(path, kSample, mode);
    const PskMap keys = LoadPskFile(path);
    EXPECT_EQ(keys.size(), 4u);
  }
}

TEST(PskFileTest, MissingFileNamesPath) {
  try {
    LoadPskFile("/nonexistent/psk.txt");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("/nonexistent/psk.txt: cannot open", 0), 0u)
        << error.what();
  }
}

}  // namespace
}  // namespace ipop::config
