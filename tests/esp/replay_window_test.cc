#include "esp/replay_window.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

namespace ipop::esp {
namespace {

struct ReplayCase {
  std::string name;
  uint32_t window;
  std::vector<uint32_t> committed;  // accepted before the check, in order
  uint32_t checked;
  ReplayVerdict expected;
};

// Expected verdicts follow RFC 4303 §3.4.3: a number right of the window is
// new, one inside it is new unless its bit is set, one left of it is
// rejected. With highest H and window W the window is H-W+1 .. H.
const std::vector<ReplayCase>& Cases() {
  static const std::vector<ReplayCase> cases = {
      {"first packet", 64, {}, 1, ReplayVerdict::kAccept},
      {"zero never valid", 64, {}, 0, ReplayVerdict::kZero},
      {"zero after traffic", 64, {1, 2}, 0, ReplayVerdict::kZero},
      {"in order next", 64, {1, 2, 3}, 4, ReplayVerdict::kAccept},
      {"duplicate of highest", 64, {1, 2, 3}, 3, ReplayVerdict::kDuplicate},
      {"duplicate inside window", 64, {1, 2, 3}, 2, ReplayVerdict::kDuplicate},
      {"gap inside window accepted", 64, {1, 5}, 3, ReplayVerdict::kAccept},
      {"left edge inside", 64, {100}, 37, ReplayVerdict::kAccept},
      {"just left of edge", 64, {100}, 36, ReplayVerdict::kTooOld},
      {"far ahead moves window", 64, {1, 2, 1000}, 936, ReplayVerdict::kTooOld},
      {"far ahead keeps new edge", 64, {1, 2, 1000}, 937, ReplayVerdict::kAccept},
      // The bitmap is a 128-bit ring for window 64: 10 and 138 share a bit,
      // which the slide to 140 must have cleared.
      {"reused ring bit is fresh", 64, {10, 70, 140}, 138, ReplayVerdict::kAccept},
      {"same word keeps bits", 64, {70, 100}, 70, ReplayVerdict::kDuplicate},
      {"slide keeps previous word", 64, {120, 130}, 120, ReplayVerdict::kDuplicate},
      {"window 32 left edge", 32, {40}, 9, ReplayVerdict::kAccept},
      {"window 32 too old", 32, {40}, 8, ReplayVerdict::kTooOld},
      {"window 1024 left edge", 1024, {2000}, 977, ReplayVerdict::kAccept},
      {"window 1024 too old", 1024, {2000}, 976, ReplayVerdict::kTooOld},
      {"window 1024 duplicate deep", 1024, {10, 1000}, 10, ReplayVerdict::kDuplicate},
      {"window 100 not word aligned", 100, {150}, 51, ReplayVerdict::kAccept},
      {"window 100 too old", 100, {150}, 50, ReplayVerdict::kTooOld},
      {"window 1 only highest", 1, {10}, 9, ReplayVerdict::kTooOld},
      {"window 1 duplicate", 1, {10}, 10, ReplayVerdict::kDuplicate},
      {"disabled accepts duplicate", 0, {5}, 5, ReplayVerdict::kAccept},
      {"disabled rejects zero", 0, {5}, 0, ReplayVerdict::kZero},
      {"max sequence number", 64, {0xfffffffe}, 0xffffffff, ReplayVerdict::kAccept},
  };
  return cases;
}

TEST(ReplayWindow, TableOfCases) {
  for (const ReplayCase& test_case : Cases()) {
    SCOPED_TRACE(test_case.name);
    ReplayWindow window(test_case.window);
    for (uint32_t sequence : test_case.committed) {
      ASSERT_TRUE(window.Commit(sequence)) << "setup commit of " << sequence;
    }
    EXPECT_EQ(window.Check(test_case.checked), test_case.expected)
        << "got " << ReplayVerdictName(window.Check(test_case.checked));
  }
}

TEST(ReplayWindow, CheckDoesNotMoveWindow) {
  ReplayWindow window(64);
  ASSERT_TRUE(window.Commit(10));

  // A forged packet far ahead passes Check but fails its ICV, so it is
  // never committed: the window must stay where it was.
  EXPECT_EQ(window.Check(5000), ReplayVerdict::kAccept);
  EXPECT_EQ(window.highest(), 10u);
  EXPECT_EQ(window.Check(9), ReplayVerdict::kAccept);
  EXPECT_EQ(window.Check(10), ReplayVerdict::kDuplicate);
}

TEST(ReplayWindow, CommitRejectsSecondCommit) {
  ReplayWindow window(64);
  ASSERT_EQ(window.Check(7), ReplayVerdict::kAccept);
  ASSERT_EQ(window.Check(7), ReplayVerdict::kAccept);

  EXPECT_TRUE(window.Commit(7));
  EXPECT_FALSE(window.Commit(7));
}

TEST(ReplayWindow, CommitRejectsTooOld) {
  ReplayWindow window(64);
  ASSERT_TRUE(window.Commit(200));

  EXPECT_FALSE(window.Commit(100));
  EXPECT_EQ(window.highest(), 200u);
}

// Compares against a plain set-based model over a long pseudo-random
// sequence with reordering, duplicates and jumps.
TEST(ReplayWindow, MatchesSimpleModel) {
  for (uint32_t size : {1u, 32u, 64u, 65u, 100u, 128u, 1000u, 1024u}) {
    SCOPED_TRACE("window " + std::to_string(size));
    ReplayWindow window(size);
    std::unordered_set<uint32_t> seen;
    uint32_t highest = 0;
    uint32_t state = 12345;
    uint32_t base = 1;
    for (int step = 0; step < 20000; ++step) {
      state = state * 1103515245u + 12345u;
      const uint32_t jitter = (state >> 8) % (2 * size + 10);
      base += (state >> 20) % 3;
      if ((state >> 4) % 97 == 0) {
        base += size * 3;  // an occasional jump far ahead
      }
      const uint32_t sequence = base + size + 5 > jitter ? base + size + 5 - jitter : 1;

      ReplayVerdict expected = ReplayVerdict::kAccept;
      if (sequence <= highest) {
        if (highest - sequence >= size) {
          expected = ReplayVerdict::kTooOld;
        } else if (seen.contains(sequence)) {
          expected = ReplayVerdict::kDuplicate;
        }
      }
      ASSERT_EQ(window.Check(sequence), expected) << "step " << step << " seq " << sequence;
      if (expected == ReplayVerdict::kAccept) {
        ASSERT_TRUE(window.Commit(sequence));
        seen.insert(sequence);
        highest = std::max(highest, sequence);
      }
    }
  }
}

}  // namespace
}  // namespace ipop::esp
