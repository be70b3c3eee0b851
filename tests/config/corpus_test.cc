// Runs every racoon.conf in tests/config/corpus/. The first line of each
// file states the expected outcome:
//   # expect: loads
//   # expect-error: LINE:COLUMN: REASON
// where REASON may be a prefix of the full message. @CERTS@ stands for a
// directory holding cert.pem, key.pem and rootCA.pem, and @PSK@ for a
// psk.txt with mode 0600.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/racoon_conf.h"
#include "config_test_util.h"

namespace ipop::config {
namespace {

constexpr std::string_view kExpectLoads = "# expect: loads";
constexpr std::string_view kExpectError = "# expect-error: ";

TEST(RacoonConfCorpusTest, EachFileMeetsItsExpectation) {
  testing::TempDir dir;
  const std::string certs = dir.AddVectorCertificates();
  const std::string psk = dir.File("psk.txt");
  testing::WriteFile(psk, "10.0.0.2 0x000102030405060708090a0b0c0d0e0f\n", 0600);

  const std::filesystem::path corpus = std::filesystem::path(IPOP_TEST_DATA_DIR) / "config/corpus";
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    if (entry.path().extension() != ".conf") {
      continue;
    }
    ++files;
    const std::string name = entry.path().filename();
    SCOPED_TRACE(name);
    const std::string raw = testing::ReadFile(entry.path());
    const std::string text =
        testing::ReplaceAll(testing::ReplaceAll(raw, "@CERTS@", certs), "@PSK@", psk);
    const std::string first_line = text.substr(0, text.find('\n'));

    std::string error;
    try {
      ParseRacoonConfText(text, name);
    } catch (const ConfigError& exception) {
      error = exception.what();
    }

    if (first_line == kExpectLoads) {
      EXPECT_EQ(error, "");
    } else {
      ASSERT_TRUE(first_line.starts_with(kExpectError)) << "first line states no expectation";
      const std::string expected = name + ":" + first_line.substr(kExpectError.size());
      EXPECT_EQ(error.substr(0, expected.size()), expected) << "full message: " << error;
    }
  }
  EXPECT_GE(files, 10u);
}

}  // namespace
}  // namespace ipop::config
