// Runs every racoon.conf in tests/config/corpus/. The first line of each
// file states the expected outcome:
//   # expect: loads
//   # expect-error: LINE:COLUMN: REASON
// where REASON may be a prefix of the full message. @CERTS@ stands for a
// directory holding cert.pem, key.pem and rootCA.pem, @PSK@ for a
// psk.txt with mode 0600, and @CORPUS@ for this folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "config/racoon_conf.h"
#include "config/racoon_grammar.h"
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
    std::string text = testing::ReplaceAll(raw, "@CERTS@", certs);
    text = testing::ReplaceAll(text, "@PSK@", psk);
    text = testing::ReplaceAll(text, "@CORPUS@", corpus.string());
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

// The corpus must use every directive of every section at least once, so
// that a directive added to racoon_grammar.cc gets a corpus file too.
TEST(RacoonConfCorpusTest, CoversEveryDirective) {
  const std::filesystem::path corpus = std::filesystem::path(IPOP_TEST_DATA_DIR) / "config/corpus";
  std::string all_text;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(corpus)) {
    if (entry.is_regular_file()) {
      all_text += testing::ReadFile(entry.path()) + "\n";
    }
  }
  for (Section section : NamedSections()) {
    for (const std::string& name : DirectiveNames(section)) {
      const std::regex word("(^|[^a-z_0-9])" + name + "($|[^a-z_0-9])");
      EXPECT_TRUE(std::regex_search(all_text, word))
          << "no corpus file uses " << name << " in " << SectionName(section);
    }
  }
}

}  // namespace
}  // namespace ipop::config
