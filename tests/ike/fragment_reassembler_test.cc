// Reassembly of IKE fragments: any arrival order, duplicates, a reused
// fragment ID, and each memory bound with a mock clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "ike/fragment_reassembler.h"

namespace ipop::ike {
namespace {

using Status = FragmentAddResult::Status;
using std::chrono::seconds;

const Endpoint kPeer{*Ipv4Address::Parse("10.77.0.2"), 500};
const Endpoint kOtherPeer{*Ipv4Address::Parse("10.77.0.3"), 500};

IsakmpHeader HeaderWithCookie(uint8_t cookie) {
  IsakmpHeader header;
  header.initiator_cookie.fill(std::byte{cookie});
  header.exchange_type = ExchangeType::kIdentityProtection;
  return header;
}

FragmentPayload Piece(uint16_t id, uint8_t number, bool last, const char* hex) {
  return FragmentPayload{id, number, last, HexToBytes(hex)};
}

TEST(FragmentReassemblerTest, AnyOrderJoinsByNumber) {
  const std::vector<FragmentPayload> pieces = {Piece(1, 1, false, "0a0b"), Piece(1, 2, false, "0c"),
                                               Piece(1, 3, false, "0d0e0f"), Piece(1, 4, true, "10")};
  std::vector<size_t> order = {0, 1, 2, 3};
  do {
    FragmentReassembler reassembler;
    const TimePoint now{};
    for (size_t i = 0; i + 1 < order.size(); ++i) {
      EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(1), pieces[order[i]], now).status, Status::kIncomplete);
    }
    FragmentAddResult result = reassembler.Add(kPeer, HeaderWithCookie(1), pieces[order.back()], now);
    ASSERT_EQ(result.status, Status::kComplete);
    EXPECT_EQ(ToHex(result.message), "0a0b0c0d0e0f10");
    EXPECT_EQ(reassembler.incomplete_count(), 0u);
    EXPECT_EQ(reassembler.buffered_bytes(), 0u);
  } while (std::ranges::next_permutation(order).found);
}

TEST(FragmentReassemblerTest, DuplicateChangesNothing) {
  FragmentReassembler reassembler;
  const TimePoint now{};
  EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 1, false, "aa"), now).status, Status::kIncomplete);
  EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 1, false, "aa"), now).status, Status::kDuplicate);
  EXPECT_EQ(reassembler.buffered_bytes(), 1u);
  FragmentAddResult result = reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 2, true, "bb"), now);
  ASSERT_EQ(result.status, Status::kComplete);
  EXPECT_EQ(ToHex(result.message), "aabb");
}

TEST(FragmentReassemblerTest, RetransmissionReassemblesAgain) {
  FragmentReassembler reassembler;
  const TimePoint now{};
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 2, true, "bb"), now).status,
              Status::kIncomplete);
    EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 1, false, "aa"), now).status, Status::kComplete);
  }
}

TEST(FragmentReassemblerTest, ReusedIdRestartsWithNewData) {
  // racoon sends fragment ID 1 for every message, so different data under
  // a held number starts a new message.
  FragmentReassembler reassembler;
  const TimePoint now{};
  EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 1, false, "aa"), now).status, Status::kIncomplete);
  FragmentAddResult replaced = reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 1, false, "cc"), now);
  EXPECT_EQ(replaced.status, Status::kIncomplete);
  EXPECT_TRUE(replaced.replaced);
  FragmentAddResult result = reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 2, true, "dd"), now);
  ASSERT_EQ(result.status, Status::kComplete);
  EXPECT_EQ(ToHex(result.message), "ccdd");
}

TEST(FragmentReassemblerTest, MessagesKeptApartByCookieAndId) {
  FragmentReassembler reassembler;
  const TimePoint now{};
  EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 1, false, "a1"), now).status, Status::kIncomplete);
  EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(2), Piece(1, 1, false, "b1"), now).status, Status::kIncomplete);
  EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(1), Piece(2, 1, false, "c1"), now).status, Status::kIncomplete);
  EXPECT_EQ(reassembler.incomplete_count(), 3u);
  FragmentAddResult result = reassembler.Add(kPeer, HeaderWithCookie(2), Piece(1, 2, true, "b2"), now);
  ASSERT_EQ(result.status, Status::kComplete);
  EXPECT_EQ(ToHex(result.message), "b1b2");
  EXPECT_EQ(reassembler.incomplete_count(), 2u);
}

TEST(FragmentReassemblerTest, FragmentBeyondLastDropped) {
  FragmentReassembler reassembler;
  const TimePoint now{};
  EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 2, true, "bb"), now).status, Status::kIncomplete);
  FragmentAddResult after_last = reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 3, false, "cc"), now);
  EXPECT_EQ(after_last.status, Status::kDropped);
  EXPECT_EQ(after_last.drop_reason, "fragment beyond the last");

  FragmentReassembler other;
  EXPECT_EQ(other.Add(kPeer, HeaderWithCookie(1), Piece(1, 3, false, "cc"), now).status, Status::kIncomplete);
  FragmentAddResult early_last = other.Add(kPeer, HeaderWithCookie(1), Piece(1, 2, true, "bb"), now);
  EXPECT_EQ(early_last.status, Status::kDropped);
  EXPECT_EQ(early_last.drop_reason, "fragment beyond the last");
}

TEST(FragmentReassemblerTest, FragmentCountBounded) {
  FragmentLimits limits;
  limits.max_fragments_per_message = 3;
  FragmentReassembler reassembler(limits);
  FragmentAddResult result = reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 4, true, "aa"), TimePoint{});
  EXPECT_EQ(result.status, Status::kDropped);
  EXPECT_EQ(result.drop_reason, "too many fragments");
  EXPECT_EQ(reassembler.incomplete_count(), 0u);
}

TEST(FragmentReassemblerTest, MessageSizeBounded) {
  FragmentLimits limits;
  limits.max_message_bytes = 4;
  FragmentReassembler reassembler(limits);
  const TimePoint now{};
  EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 1, false, "aabbcc"), now).status,
            Status::kIncomplete);
  FragmentAddResult result = reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 2, false, "ddee"), now);
  EXPECT_EQ(result.status, Status::kDropped);
  EXPECT_EQ(result.drop_reason, "fragmented message too large");
  EXPECT_EQ(reassembler.incomplete_count(), 0u);
  EXPECT_EQ(reassembler.buffered_bytes(), 0u);
}

TEST(FragmentReassemblerTest, IncompleteMessagesPerPeerBounded) {
  FragmentLimits limits;
  limits.max_incomplete_per_peer = 2;
  FragmentReassembler reassembler(limits);
  TimePoint now{};
  for (uint8_t cookie = 1; cookie <= 3; ++cookie) {
    FragmentAddResult result = reassembler.Add(kPeer, HeaderWithCookie(cookie), Piece(1, 1, false, "aa"), now);
    EXPECT_EQ(result.status, Status::kIncomplete);
    EXPECT_EQ(result.evicted, cookie == 3 ? 1u : 0u);
    now += seconds(1);
  }
  EXPECT_EQ(reassembler.incomplete_count(), 2u);
  // The oldest (cookie 1) went; cookie 2 still completes.
  EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(2), Piece(1, 2, true, "bb"), now).status, Status::kComplete);
  EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 2, true, "bb"), now).status, Status::kIncomplete);
  // Another peer has its own allowance.
  EXPECT_EQ(reassembler.Add(kOtherPeer, HeaderWithCookie(9), Piece(1, 1, false, "aa"), now).evicted, 0u);
}

TEST(FragmentReassemblerTest, BytesPerPeerBounded) {
  FragmentLimits limits;
  limits.max_bytes_per_peer = 4;
  FragmentReassembler reassembler(limits);
  TimePoint now{};
  EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 1, false, "aabbcc"), now).status,
            Status::kIncomplete);
  now += seconds(1);
  FragmentAddResult result = reassembler.Add(kPeer, HeaderWithCookie(2), Piece(1, 1, false, "ddee"), now);
  EXPECT_EQ(result.status, Status::kIncomplete);
  EXPECT_EQ(result.evicted, 1u);
  EXPECT_EQ(reassembler.buffered_bytes_from(kPeer.address), 2u);
  // A fragment that cannot fit even alone is dropped.
  FragmentAddResult too_big = reassembler.Add(kPeer, HeaderWithCookie(2), Piece(1, 2, false, "00112233"), now);
  EXPECT_EQ(too_big.status, Status::kDropped);
  EXPECT_EQ(too_big.drop_reason, "fragment memory limit");
}

TEST(FragmentReassemblerTest, TotalAcrossPeersBounded) {
  FragmentLimits limits;
  limits.max_incomplete_total = 2;
  limits.max_total_bytes = 100;
  FragmentReassembler reassembler(limits);
  TimePoint now{};
  for (uint8_t last_octet = 1; last_octet <= 5; ++last_octet) {
    Bytes address = HexToBytes("0a4d00");
    address.push_back(std::byte{last_octet});
    const Endpoint peer{Ipv4Address::FromBytes(address), 500};
    EXPECT_EQ(reassembler.Add(peer, HeaderWithCookie(1), Piece(1, 1, false, "aa"), now).status, Status::kIncomplete);
    now += seconds(1);
  }
  EXPECT_EQ(reassembler.incomplete_count(), 2u);
}

TEST(FragmentReassemblerTest, IncompleteMessageTimesOut) {
  FragmentReassembler reassembler;  // 30 s
  TimePoint now{};
  EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 1, false, "aa"), now).status, Status::kIncomplete);
  now += seconds(29);
  EXPECT_EQ(reassembler.Add(kPeer, HeaderWithCookie(2), Piece(1, 1, false, "aa"), now).expired, 0u);
  now += seconds(1);
  FragmentAddResult result = reassembler.Add(kPeer, HeaderWithCookie(1), Piece(1, 2, true, "bb"), now);
  EXPECT_EQ(result.expired, 1u);
  // Fragment 1 went with the expired message, so 2 alone is incomplete.
  EXPECT_EQ(result.status, Status::kIncomplete);
  EXPECT_EQ(reassembler.incomplete_count(), 2u);
}

}  // namespace
}  // namespace ipop::ike
