// The IKE fragment payload and the splitting of a message into fragment
// datagrams. Expected bytes are written out from the layout in
// payload_fragment.h (the racoon and strongSwan IKEv1 scheme).
#include <gtest/gtest.h>

#include "ike/isakmp_header.h"
#include "ike/message.h"
#include "ike/payload_fragment.h"

namespace ipop::ike {
namespace {

// Cookies 0x11.. and 0x22.., next payload 132, version 1.0, exchange type
// 2, flags 0, message ID 0, length 28 + 4 + 4 + 3.
constexpr const char* kFragmentDatagramHex =
    "1111111111111111" "2222222222222222" "84" "10" "02" "00" "00000000" "00000027"
    // Generic header: no next payload, RESERVED 0, length 11.
    "00" "00" "000b"
    // Fragment ID 7, number 2, flags LAST, then 3 bytes of data.
    "0007" "02" "01" "aabbcc";

TEST(FragmentPayloadTest, EncodesTheLayout) {
  const FragmentPayload payload{7, 2, true, HexToBytes("aabbcc")};
  EXPECT_EQ(ToHex(EncodeBody(payload)), "00070201aabbcc");
}

TEST(FragmentPayloadTest, ParsesADatagram) {
  auto parsed = ParseFragmentMessage(HexToBytes(kFragmentDatagramHex));
  ASSERT_TRUE(parsed.has_value()) << ToString(parsed.error());
  EXPECT_EQ(parsed->header.exchange_type, ExchangeType::kIdentityProtection);
  EXPECT_EQ(parsed->fragment.fragment_id, 7);
  EXPECT_EQ(parsed->fragment.number, 2);
  EXPECT_TRUE(parsed->fragment.last);
  EXPECT_EQ(ToHex(parsed->fragment.data), "aabbcc");
  EXPECT_TRUE(IsFragmentDatagram(HexToBytes(kFragmentDatagramHex)));
}

TEST(FragmentPayloadTest, IgnoresTheEncryptionFlag) {
  Bytes datagram = HexToBytes(kFragmentDatagramHex);
  datagram[19] = std::byte{kFlagEncryption};
  auto parsed = ParseFragmentMessage(datagram);
  ASSERT_TRUE(parsed.has_value()) << ToString(parsed.error());
  EXPECT_EQ(ToHex(parsed->fragment.data), "aabbcc");
}

TEST(FragmentPayloadTest, EveryTruncationFails) {
  const Bytes datagram = HexToBytes(kFragmentDatagramHex);
  for (size_t size = 0; size < datagram.size(); ++size) {
    Bytes cut(datagram.begin(), datagram.begin() + static_cast<std::ptrdiff_t>(size));
    if (size >= kIsakmpHeaderSize) {
      // Keep the header length consistent so the payload checks are reached.
      cut[27] = static_cast<std::byte>(size);
    }
    EXPECT_FALSE(ParseFragmentMessage(cut).has_value()) << "size " << size;
  }
}

TEST(FragmentPayloadTest, RejectsInvalidFields) {
  const struct {
    const char* name;
    size_t offset;
    uint8_t value;
  } cases[] = {
      {"next payload after the fragment", 28, 0x05},
      {"RESERVED not zero", 29, 0x01},
      {"payload length beyond the datagram", 31, 0x0c},
      {"payload length short of the datagram", 31, 0x0a},
      {"fragment number 0", 34, 0x00},
      {"undefined flag bit", 35, 0x03},
  };
  for (const auto& bad : cases) {
    Bytes datagram = HexToBytes(kFragmentDatagramHex);
    datagram[bad.offset] = static_cast<std::byte>(bad.value);
    EXPECT_FALSE(ParseFragmentMessage(datagram).has_value()) << bad.name;
  }
}

TEST(FragmentPayloadTest, RejectsAFragmentWithoutData) {
  EXPECT_FALSE(ParseFragmentPayload(HexToBytes("00010101")).has_value());
  EXPECT_TRUE(ParseFragmentPayload(HexToBytes("0001010100")).has_value());
}

Bytes TestMessage(size_t body_size, uint8_t flags) {
  IsakmpHeader header;
  header.initiator_cookie.fill(std::byte{0x31});
  header.responder_cookie.fill(std::byte{0x32});
  header.exchange_type = ExchangeType::kIdentityProtection;
  header.next_payload = PayloadType::kIdentification;
  header.flags = flags;
  Bytes body(body_size);
  for (size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<std::byte>(i * 7);
  }
  return EncodeMessage(header, body);
}

TEST(SplitIntoFragmentsTest, PiecesJoinToTheMessage) {
  const Bytes message = TestMessage(1500, kFlagEncryption);
  const std::vector<Bytes> fragments = SplitIntoFragments(message, 9, kMaxFragmentDatagramSize);
  // 544 - 36 bytes of headers leave 508 bytes of data per fragment.
  ASSERT_EQ(fragments.size(), (message.size() + 507) / 508);
  Bytes joined;
  for (size_t i = 0; i < fragments.size(); ++i) {
    EXPECT_LE(fragments[i].size(), kMaxFragmentDatagramSize);
    auto parsed = ParseFragmentMessage(fragments[i]);
    ASSERT_TRUE(parsed.has_value()) << ToString(parsed.error());
    EXPECT_EQ(parsed->fragment.fragment_id, 9);
    EXPECT_EQ(parsed->fragment.number, i + 1);
    EXPECT_EQ(parsed->fragment.last, i + 1 == fragments.size());
    // Same cookies and exchange type; message ID 0 and no E flag, as
    // racoon and strongSwan send fragments.
    EXPECT_EQ(parsed->header.initiator_cookie, ParseIsakmpHeader(message)->initiator_cookie);
    EXPECT_EQ(parsed->header.responder_cookie, ParseIsakmpHeader(message)->responder_cookie);
    EXPECT_EQ(parsed->header.exchange_type, ExchangeType::kIdentityProtection);
    EXPECT_EQ(parsed->header.message_id, 0u);
    EXPECT_FALSE(parsed->header.encrypted());
    Append(joined, parsed->fragment.data);
  }
  EXPECT_EQ(joined, message);
}

TEST(SplitIntoFragmentsTest, RejectsMoreThan255Pieces) {
  const Bytes message = TestMessage(20000, 0);
  // 100-byte datagrams carry 64 bytes each: 20028 / 64 > 255.
  EXPECT_TRUE(SplitIntoFragments(message, 1, 100).empty());
  EXPECT_FALSE(SplitIntoFragments(message, 1, 200).empty());
  // No room for data at all.
  EXPECT_TRUE(SplitIntoFragments(message, 1, 36).empty());
}

}  // namespace
}  // namespace ipop::ike
