#include "base/byte_reader.h"

#include <gtest/gtest.h>

#include "base/byte_writer.h"

namespace ipop {
namespace {

TEST(ByteReaderTest, ReadsBigEndianFields) {
  const Bytes data = HexToBytes("01 0203 04050607 08090a0b0c0d0e0f");
  ByteReader reader(data);
  uint8_t u8 = 0;
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  ASSERT_TRUE(reader.ReadU8(u8));
  ASSERT_TRUE(reader.ReadU16(u16));
  ASSERT_TRUE(reader.ReadU32(u32));
  ASSERT_TRUE(reader.ReadU64(u64));
  EXPECT_EQ(u8, 0x01);
  EXPECT_EQ(u16, 0x0203);
  EXPECT_EQ(u32, 0x04050607u);
  EXPECT_EQ(u64, 0x08090a0b0c0d0e0full);
  EXPECT_TRUE(reader.empty());
}

TEST(ByteReaderTest, FailedReadDoesNotAdvance) {
  const Bytes data = HexToBytes("aabbcc");
  ByteReader reader(data);
  uint32_t u32 = 0;
  EXPECT_FALSE(reader.ReadU32(u32));
  EXPECT_EQ(reader.offset(), 0u);
  ByteView view;
  EXPECT_FALSE(reader.ReadBytes(4, view));
  EXPECT_EQ(reader.remaining_size(), 3u);
  uint16_t u16 = 0;
  ASSERT_TRUE(reader.ReadU16(u16));
  EXPECT_EQ(u16, 0xaabb);
}

TEST(ByteReaderTest, SubReaderIsBounded) {
  const Bytes data = HexToBytes("0102 0304");
  ByteReader reader(data);
  ByteReader sub(ByteView{});
  ASSERT_TRUE(reader.ReadSubReader(2, sub));
  uint32_t u32 = 0;
  EXPECT_FALSE(sub.ReadU32(u32));
  uint16_t u16 = 0;
  ASSERT_TRUE(reader.ReadU16(u16));
  EXPECT_EQ(u16, 0x0304);
}

TEST(ByteWriterTest, PatchesReservedLength) {
  ByteWriter writer;
  writer.WriteU8(7);
  const size_t at = writer.ReserveU16();
  writer.WriteU32(0xdeadbeef);
  writer.PatchU16(at, static_cast<uint16_t>(writer.size()));
  EXPECT_EQ(ToHex(writer.bytes()), "070007deadbeef");
}

TEST(HexTest, RejectsOddAndInvalidDigits) {
  Bytes out;
  EXPECT_FALSE(FromHex("abc", out));
  EXPECT_FALSE(FromHex("zz", out));
  ASSERT_TRUE(FromHex("0xAB cd", out));
  EXPECT_EQ(ToHex(out), "abcd");
}

}  // namespace
}  // namespace ipop
