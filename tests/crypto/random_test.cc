#include "crypto/random.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace ipop::crypto {
namespace {

TEST(Random, DrawsDiffer) {
  // Two equal 32-byte draws from a working CSPRNG have probability 2^-256.
  const Bytes first = RandomBytes(32);
  const Bytes second = RandomBytes(32);
  ASSERT_EQ(first.size(), 32u);
  EXPECT_NE(first, second);
  EXPECT_NE(first, Bytes(32));
}

TEST(Random, EmptyRequest) { EXPECT_TRUE(RandomBytes(0).empty()); }

TEST(Random, ConcurrentFirstUse) {
  std::vector<std::thread> threads;
  std::vector<uint32_t> values(8);
  for (size_t i = 0; i < values.size(); ++i) {
    threads.emplace_back([&values, i] { values[i] = RandomU32(); });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  // Eight equal 32-bit draws would mean a broken generator.
  bool all_equal = true;
  for (uint32_t value : values) {
    all_equal = all_equal && value == values[0];
  }
  EXPECT_FALSE(all_equal);
}

}  // namespace
}  // namespace ipop::crypto
