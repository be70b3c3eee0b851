#include "ike/message.h"

#include <gtest/gtest.h>

#include "base/byte_reader.h"
#include "ike/payload_hash.h"
#include "ike/payload_nonce.h"
#include "ike/payload_vendor_id.h"

namespace ipop::ike {
namespace {

IsakmpHeader QuickModeHeader() {
  IsakmpHeader header;
  header.initiator_cookie = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4},
                             std::byte{5}, std::byte{6}, std::byte{7}, std::byte{8}};
  header.responder_cookie = {std::byte{9}, std::byte{10}, std::byte{11}, std::byte{12},
                             std::byte{13}, std::byte{14}, std::byte{15}, std::byte{16}};
  header.exchange_type = ExchangeType::kQuickMode;
  header.message_id = 0x9dd19883;
  return header;
}

// HASH(20) | NONCE(16) | VID(4): a plaintext Quick-Mode-like message.
MessageBuilder ThreePayloadBuilder() {
  MessageBuilder builder(QuickModeHeader());
  builder.Add(HashPayload{.data = Bytes(20, std::byte{0xaa})});
  builder.Add(NoncePayload{.data = Bytes(16, std::byte{0xbb})});
  builder.Add(VendorIdPayload{.data = HexToBytes("01020304")});
  return builder;
}

// Sets the ISAKMP length field to the size of `bytes`.
void FixHeaderLength(Bytes& bytes) { StoreU32(MutableByteView(bytes).subspan(24, 4), static_cast<uint32_t>(bytes.size())); }

TEST(MessageTest, BuildsExpectedBytes) {
  const Bytes built = ThreePayloadBuilder().Build();
  // Header: next payload HASH (8), version 0x10, exchange 32, length 28+24+20+8.
  const std::string expected =
      "0102030405060708090a0b0c0d0e0f10" "08" "10" "20" "00" "9dd19883" "00000050"
      "0a000018" + std::string(40, 'a') +
      "0d000014" + std::string(32, 'b') +
      "00000008" "01020304";
  EXPECT_EQ(ToHex(built), expected);
}

TEST(MessageTest, ParsesBuiltMessage) {
  const Bytes built = ThreePayloadBuilder().Build();
  const auto message = ParseMessage(built);
  ASSERT_TRUE(message.has_value()) << ToString(message.error());
  EXPECT_EQ(message->header().exchange_type, ExchangeType::kQuickMode);
  EXPECT_EQ(message->header().message_id, 0x9dd19883u);
  ASSERT_EQ(message->payloads().size(), 3u);

  const Payload& hash = message->payloads()[0];
  EXPECT_EQ(hash.type, PayloadType::kHash);
  EXPECT_EQ(hash.offset, 28u);
  EXPECT_EQ(hash.length, 24u);
  EXPECT_EQ(ToHex(hash.body), std::string(40, 'a'));

  const Payload& nonce = message->payloads()[1];
  EXPECT_EQ(nonce.type, PayloadType::kNonce);
  EXPECT_EQ(nonce.offset, 52u);
  EXPECT_EQ(ToHex(nonce.body), std::string(32, 'b'));

  const Payload& vendor_id = message->payloads()[2];
  EXPECT_EQ(vendor_id.type, PayloadType::kVendorId);
  EXPECT_EQ(vendor_id.offset, 72u);
  EXPECT_EQ(ToHex(vendor_id.body), "01020304");
  EXPECT_EQ(message->chain_end(), built.size());
}

TEST(MessageTest, BytesAfterHashMatchesEncodedChain) {
  const MessageBuilder builder = ThreePayloadBuilder();
  const Bytes built = builder.Build();
  const auto message = ParseMessage(built);
  ASSERT_TRUE(message.has_value());
  const Payload* hash = message->Find(PayloadType::kHash);
  ASSERT_NE(hash, nullptr);
  EXPECT_EQ(ToHex(message->BytesAfter(*hash)), ToHex(builder.EncodeChain(1)));
  // The chain after HASH starts with the nonce's generic header.
  EXPECT_EQ(ToHex(message->BytesAfter(*hash)).substr(0, 8), "0d000014");
}

TEST(MessageTest, ReplaceBodyKeepsChain) {
  MessageBuilder builder = ThreePayloadBuilder();
  builder.ReplaceBody(0, HexToBytes("0102"));
  const auto message = ParseMessage(builder.Build());
  ASSERT_TRUE(message.has_value()) << ToString(message.error());
  EXPECT_EQ(ToHex(message->payloads()[0].body), "0102");
  EXPECT_EQ(message->payloads().size(), 3u);
}

TEST(MessageTest, FindAllReturnsInOrder) {
  MessageBuilder builder(QuickModeHeader());
  builder.Add(VendorIdPayload{.data = HexToBytes("01")});
  builder.Add(NoncePayload{.data = Bytes(8, std::byte{1})});
  builder.Add(VendorIdPayload{.data = HexToBytes("02")});
  const auto message = ParseMessage(builder.Build());
  ASSERT_TRUE(message.has_value());
  const auto vendor_ids = message->FindAll(PayloadType::kVendorId);
  ASSERT_EQ(vendor_ids.size(), 2u);
  EXPECT_EQ(ToHex(vendor_ids[0]->body), "01");
  EXPECT_EQ(ToHex(vendor_ids[1]->body), "02");
  EXPECT_EQ(message->Find(PayloadType::kSa), nullptr);
}

TEST(MessageTest, EmptyChainParses) {
  const Bytes built = MessageBuilder(QuickModeHeader()).Build();
  ASSERT_EQ(built.size(), kIsakmpHeaderSize);
  const auto message = ParseMessage(built);
  ASSERT_TRUE(message.has_value()) << ToString(message.error());
  EXPECT_TRUE(message->payloads().empty());
}

TEST(MessageTest, TruncationAtEveryByteFails) {
  const Bytes built = ThreePayloadBuilder().Build();
  for (size_t size = 0; size < built.size(); ++size) {
    const ByteView cut = ByteView(built).first(size);
    EXPECT_FALSE(ParseMessage(cut).has_value()) << "size " << size;

    // With the header length fixed up, the payload chain itself must notice.
    if (size >= kIsakmpHeaderSize) {
      Bytes fixed(cut.begin(), cut.end());
      FixHeaderLength(fixed);
      const auto message = ParseMessage(fixed);
      ASSERT_FALSE(message.has_value()) << "size " << size;
      EXPECT_NE(message.error().notify, 0) << "size " << size;
    }
  }
}

TEST(MessageTest, RejectsNonZeroReserved) {
  Bytes built = ThreePayloadBuilder().Build();
  built[52 + 1] = std::byte{0x80};  // RESERVED of the nonce payload
  const auto message = ParseMessage(built);
  ASSERT_FALSE(message.has_value());
  EXPECT_EQ(message.error().notify, kNotifyPayloadMalformed);
  EXPECT_NE(message.error().detail.find("RESERVED"), std::string::npos) << message.error().detail;
}

TEST(MessageTest, RejectsZeroLengthPayload) {
  Bytes built = ThreePayloadBuilder().Build();
  // A length of 0 would make the walk stand still forever.
  StoreU16(MutableByteView(built).subspan(72 + 2, 2), 0);
  const auto message = ParseMessage(built);
  ASSERT_FALSE(message.has_value());
  EXPECT_EQ(message.error().notify, kNotifyPayloadMalformed);
}

TEST(MessageTest, RejectsLengthBelowTypeMinimum) {
  Bytes built = ThreePayloadBuilder().Build();
  // Nonce length 4 + 7: one byte below the 8-byte minimum of RFC 2409 §5.
  StoreU16(MutableByteView(built).subspan(52 + 2, 2), 11);
  const auto message = ParseMessage(built);
  ASSERT_FALSE(message.has_value());
  EXPECT_EQ(message.error().notify, kNotifyPayloadMalformed);
}

TEST(MessageTest, RejectsLengthBeyondDatagram) {
  Bytes built = ThreePayloadBuilder().Build();
  StoreU16(MutableByteView(built).subspan(72 + 2, 2), 9);  // VID claims 9, has 8
  const auto message = ParseMessage(built);
  ASSERT_FALSE(message.has_value());
  EXPECT_EQ(message.error().code, ErrorCode::kTruncated);
}

TEST(MessageTest, RejectsBytesAfterChain) {
  Bytes built = ThreePayloadBuilder().Build();
  built.push_back(std::byte{0});
  FixHeaderLength(built);
  const auto message = ParseMessage(built);
  ASSERT_FALSE(message.has_value());
  EXPECT_EQ(message.error().notify, kNotifyUnequalPayloadLengths);
}

// HASH(20) | NONCE(16) | VID(5): 81 bytes, so not a multiple of four.
Bytes OddLengthMessage() {
  MessageBuilder builder(QuickModeHeader());
  builder.Add(HashPayload{.data = Bytes(20, std::byte{0xaa})});
  builder.Add(NoncePayload{.data = Bytes(16, std::byte{0xbb})});
  builder.Add(VendorIdPayload{.data = HexToBytes("0102030405")});
  return builder.Build();
}

TEST(MessageTest, AcceptsZeroPaddingToFourOctets) {
  Bytes built = OddLengthMessage();
  ASSERT_EQ(built.size(), 81u);
  built.resize(84, std::byte{0});  // as libreswan 4.10 sends it
  FixHeaderLength(built);
  const auto message = ParseMessage(built);
  ASSERT_TRUE(message.has_value()) << message.error().detail;
  EXPECT_EQ(message->payloads().size(), 3u);
  EXPECT_EQ(message->payloads().back().body.size(), 5u);
}

TEST(MessageTest, RejectsNonZeroAlignmentBytes) {
  Bytes built = OddLengthMessage();
  built.resize(84, std::byte{0});
  built[82] = std::byte{1};
  FixHeaderLength(built);
  const auto message = ParseMessage(built);
  ASSERT_FALSE(message.has_value());
  EXPECT_EQ(message.error().notify, kNotifyUnequalPayloadLengths);
}

TEST(MessageTest, RejectsZeroBytesBeyondAlignment) {
  Bytes built = OddLengthMessage();
  built.resize(88, std::byte{0});  // 7 bytes: more than alignment needs
  FixHeaderLength(built);
  const auto message = ParseMessage(built);
  ASSERT_FALSE(message.has_value());
  EXPECT_EQ(message.error().notify, kNotifyUnequalPayloadLengths);
}

TEST(MessageTest, RejectsReservedPayloadType) {
  MessageBuilder builder(QuickModeHeader());
  builder.AddRaw(static_cast<PayloadType>(14), HexToBytes("00"));
  const auto message = ParseMessage(builder.Build());
  ASSERT_FALSE(message.has_value());
  EXPECT_EQ(message.error().notify, kNotifyInvalidPayloadType);
}

TEST(MessageTest, RejectsProposalAtTopLevel) {
  MessageBuilder builder(QuickModeHeader());
  builder.AddRaw(PayloadType::kProposal, Bytes(8, std::byte{0}));
  const auto message = ParseMessage(builder.Build());
  ASSERT_FALSE(message.has_value());
  EXPECT_EQ(message.error().notify, kNotifyInvalidPayloadType);
}

TEST(MessageTest, KeepsPrivateUseType) {
  MessageBuilder builder(QuickModeHeader());
  builder.AddRaw(static_cast<PayloadType>(200), HexToBytes("cafe"));
  builder.Add(NoncePayload{.data = Bytes(8, std::byte{1})});
  const auto message = ParseMessage(builder.Build());
  ASSERT_TRUE(message.has_value()) << ToString(message.error());
  ASSERT_EQ(message->payloads().size(), 2u);
  EXPECT_EQ(static_cast<int>(message->payloads()[0].type), 200);
  EXPECT_EQ(ToHex(message->payloads()[0].body), "cafe");
  EXPECT_EQ(message->payloads()[1].type, PayloadType::kNonce);
}

TEST(MessageTest, EncryptedMessageHasNoPayloads) {
  const MessageBuilder builder = ThreePayloadBuilder();
  const Bytes ciphertext(48, std::byte{0x5a});
  const Bytes built = builder.BuildEncrypted(ciphertext);
  const auto message = ParseMessage(built);
  ASSERT_TRUE(message.has_value()) << ToString(message.error());
  EXPECT_TRUE(message->header().encrypted());
  EXPECT_EQ(message->header().next_payload, PayloadType::kHash);
  EXPECT_EQ(message->header().length, 28u + 48u);
  EXPECT_TRUE(message->payloads().empty());
  EXPECT_EQ(ToHex(message->body()), ToHex(ciphertext));
}

TEST(MessageTest, BuildBodyPadsToBlockSize) {
  const MessageBuilder builder = ThreePayloadBuilder();
  const Bytes chain = builder.EncodeChain();
  ASSERT_EQ(chain.size(), 52u);
  const Bytes body = builder.BuildBody(8);
  ASSERT_EQ(body.size(), 56u);
  EXPECT_EQ(ToHex(ByteView(body).first(52)), ToHex(chain));
  EXPECT_EQ(ToHex(ByteView(body).subspan(52)), "00000000");
  EXPECT_EQ(builder.BuildBody(4).size(), 52u);
}

TEST(MessageTest, DecryptedMessageAcceptsPadding) {
  const MessageBuilder builder = ThreePayloadBuilder();
  const Bytes plaintext = builder.BuildBody(16);
  const auto encrypted = ParseMessage(builder.BuildEncrypted(plaintext));
  ASSERT_TRUE(encrypted.has_value());

  const auto message = ParseDecryptedMessage(*encrypted, plaintext);
  ASSERT_TRUE(message.has_value()) << ToString(message.error());
  ASSERT_EQ(message->payloads().size(), 3u);
  EXPECT_EQ(message->chain_end(), 28u + 52u);
  EXPECT_EQ(message->bytes().size(), 28u + 64u);
  const Payload* hash = message->Find(PayloadType::kHash);
  ASSERT_NE(hash, nullptr);
  EXPECT_EQ(ToHex(message->BytesAfter(*hash)), ToHex(builder.EncodeChain(1)));
}

TEST(MessageTest, DecryptedMessageRejectsWrongSize) {
  const MessageBuilder builder = ThreePayloadBuilder();
  const Bytes plaintext = builder.BuildBody(8);
  const auto encrypted = ParseMessage(builder.BuildEncrypted(plaintext));
  ASSERT_TRUE(encrypted.has_value());
  const auto message = ParseDecryptedMessage(*encrypted, ByteView(plaintext).first(plaintext.size() - 8));
  ASSERT_FALSE(message.has_value());
  EXPECT_EQ(message.error().code, ErrorCode::kInvalidArgument);
}

TEST(MessageTest, DecryptedGarbageFailsCleanly) {
  // A wrong key yields random bytes; every prefix of such a body must fail
  // or parse consistently, never crash.
  const MessageBuilder builder = ThreePayloadBuilder();
  Bytes garbage(64);
  for (size_t i = 0; i < garbage.size(); ++i) {
    garbage[i] = static_cast<std::byte>((i * 37 + 11) & 0xff);
  }
  const auto encrypted = ParseMessage(builder.BuildEncrypted(garbage));
  ASSERT_TRUE(encrypted.has_value());
  const auto message = ParseDecryptedMessage(*encrypted, garbage);
  EXPECT_FALSE(message.has_value());
}

TEST(MessageTest, CopyKeepsBodyViewsValid) {
  std::optional<Message> copy;
  {
    const auto message = ParseMessage(ThreePayloadBuilder().Build());
    ASSERT_TRUE(message.has_value());
    copy = *message;
  }
  EXPECT_EQ(ToHex(copy->payloads()[2].body), "01020304");
}

}  // namespace
}  // namespace ipop::ike
