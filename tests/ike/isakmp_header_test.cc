#include "ike/isakmp_header.h"

#include <gtest/gtest.h>

#include "base/byte_writer.h"

namespace ipop::ike {
namespace {

// Main Mode message 1 header from the racoon capture (racoon-a.log), with a
// length of 28 so that it stands alone.
constexpr char kHeaderHex[] = "006d2aece15feaaa 0000000000000000 01 10 02 00 00000000 0000001c";

Bytes HeaderBytes() { return HexToBytes(kHeaderHex); }

TEST(IsakmpHeaderTest, ParsesFields) {
  const auto header = ParseIsakmpHeader(HeaderBytes());
  ASSERT_TRUE(header.has_value()) << ToString(header.error());
  EXPECT_EQ(ToHex(header->initiator_cookie), "006d2aece15feaaa");
  EXPECT_EQ(ToHex(header->responder_cookie), "0000000000000000");
  EXPECT_EQ(header->next_payload, PayloadType::kSa);
  EXPECT_EQ(header->major_version, 1);
  EXPECT_EQ(header->minor_version, 0);
  EXPECT_EQ(header->exchange_type, ExchangeType::kIdentityProtection);
  EXPECT_EQ(header->flags, 0);
  EXPECT_EQ(header->message_id, 0u);
  EXPECT_EQ(header->length, 28u);
  EXPECT_FALSE(header->encrypted());
}

TEST(IsakmpHeaderTest, EncodesBackToSameBytes) {
  const auto header = ParseIsakmpHeader(HeaderBytes());
  ASSERT_TRUE(header.has_value());
  ByteWriter out;
  EncodeIsakmpHeader(*header, out);
  EXPECT_EQ(ToHex(out.bytes()), ToHex(HeaderBytes()));
}

TEST(IsakmpHeaderTest, TruncationAtEveryByteFails) {
  const Bytes bytes = HeaderBytes();
  for (size_t size = 0; size < bytes.size(); ++size) {
    const auto header = ParseIsakmpHeader(ByteView(bytes).first(size));
    ASSERT_FALSE(header.has_value()) << "size " << size;
    EXPECT_EQ(header.error().code, ErrorCode::kTruncated) << "size " << size;
  }
}

struct HeaderDefect {
  const char* name;
  size_t offset;
  uint8_t value;
  uint16_t expected_notify;
};

TEST(IsakmpHeaderTest, RejectsEachDefectWithItsNotify) {
  const HeaderDefect defects[] = {
      {"major version 2", 17, 0x20, kNotifyInvalidMajorVersion},
      {"minor version 1", 17, 0x11, kNotifyInvalidMinorVersion},
      {"exchange type 6", 18, 6, kNotifyInvalidExchangeType},
      {"exchange type 0", 18, 0, kNotifyInvalidExchangeType},
      {"flag bit 0x08", 19, 0x08, kNotifyInvalidFlags},
      {"length 27", 27, 27, kNotifyUnequalPayloadLengths},
      {"length 29", 27, 29, kNotifyUnequalPayloadLengths},
  };
  for (const HeaderDefect& defect : defects) {
    Bytes bytes = HeaderBytes();
    bytes[defect.offset] = std::byte{defect.value};
    const auto header = ParseIsakmpHeader(bytes);
    ASSERT_FALSE(header.has_value()) << defect.name;
    EXPECT_EQ(header.error().notify, defect.expected_notify) << defect.name << ": " << header.error().detail;
  }
}

TEST(IsakmpHeaderTest, RejectsZeroInitiatorCookie) {
  Bytes bytes = HeaderBytes();
  std::fill(bytes.begin(), bytes.begin() + kCookieSize, std::byte{0});
  const auto header = ParseIsakmpHeader(bytes);
  ASSERT_FALSE(header.has_value());
  EXPECT_EQ(header.error().notify, kNotifyInvalidCookie);
}

TEST(IsakmpHeaderTest, AcceptsAllDefinedFlags) {
  Bytes bytes = HeaderBytes();
  bytes[19] = std::byte{kFlagsDefined};
  const auto header = ParseIsakmpHeader(bytes);
  ASSERT_TRUE(header.has_value()) << ToString(header.error());
  EXPECT_TRUE(header->encrypted());
}

TEST(IsakmpHeaderTest, LengthMustMatchDatagram) {
  Bytes bytes = HeaderBytes();
  bytes.push_back(std::byte{0});
  const auto header = ParseIsakmpHeader(bytes);
  ASSERT_FALSE(header.has_value());
  EXPECT_EQ(header.error().notify, kNotifyUnequalPayloadLengths);
}

}  // namespace
}  // namespace ipop::ike
