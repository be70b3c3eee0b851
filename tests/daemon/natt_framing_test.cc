#include "daemon/natt_framing.h"

#include <gtest/gtest.h>

namespace ipop::daemon {
namespace {

TEST(NattFraming, MarkerStrippedFromIke) {
  // Four zero bytes, then the first bytes of an ISAKMP header (initiator
  // cookie 0x0102...).
  const Bytes datagram = HexToBytes("00000000 0102030405060708");
  const NattDatagram classified = ClassifyNattDatagram(datagram);
  ASSERT_EQ(classified.kind, NattDatagramKind::kIke);
  EXPECT_EQ(ToHex(classified.payload), "0102030405060708");
}

TEST(NattFraming, MarkerOnlyIsEmptyIke) {
  const Bytes datagram = HexToBytes("00000000");
  const NattDatagram classified = ClassifyNattDatagram(datagram);
  EXPECT_EQ(classified.kind, NattDatagramKind::kIke);
  EXPECT_TRUE(classified.payload.empty());
}

TEST(NattFraming, KeepaliveRecognised) {
  const Bytes datagram = HexToBytes("ff");
  EXPECT_EQ(ClassifyNattDatagram(datagram).kind, NattDatagramKind::kKeepalive);
}

TEST(NattFraming, NonZeroSpiIsEsp) {
  // SPI 0x00001234, sequence number 1, then payload.
  const Bytes datagram = HexToBytes("00001234 00000001 aabb");
  const NattDatagram classified = ClassifyNattDatagram(datagram);
  ASSERT_EQ(classified.kind, NattDatagramKind::kEsp);
  EXPECT_EQ(classified.payload.size(), datagram.size());
}

TEST(NattFraming, ShortDatagramsInvalid) {
  EXPECT_EQ(ClassifyNattDatagram(ByteView{}).kind, NattDatagramKind::kInvalid);
  EXPECT_EQ(ClassifyNattDatagram(HexToBytes("00")).kind, NattDatagramKind::kInvalid);
  EXPECT_EQ(ClassifyNattDatagram(HexToBytes("000000")).kind, NattDatagramKind::kInvalid);
  EXPECT_EQ(ClassifyNattDatagram(HexToBytes("fe")).kind, NattDatagramKind::kInvalid);
  // Non-zero first word but shorter than SPI plus sequence number.
  EXPECT_EQ(ClassifyNattDatagram(HexToBytes("01020304 0506")).kind, NattDatagramKind::kInvalid);
}

TEST(NattFraming, TwoByteFfIsNotKeepalive) {
  EXPECT_EQ(ClassifyNattDatagram(HexToBytes("ffff")).kind, NattDatagramKind::kInvalid);
}

TEST(NattFraming, PrependAddsFourZeroBytes) {
  Bytes out = HexToBytes("deadbeef");  // replaced, not appended to
  PrependNonEspMarker(HexToBytes("0102"), out);
  EXPECT_EQ(ToHex(out), "000000000102");
}

TEST(NattFraming, PrependThenClassifyRoundTrips) {
  const Bytes message = HexToBytes("a1a2a3a4a5a6a7a8 b1b2b3b4b5b6b7b8 01100200");
  Bytes framed;
  PrependNonEspMarker(message, framed);
  const NattDatagram classified = ClassifyNattDatagram(framed);
  ASSERT_EQ(classified.kind, NattDatagramKind::kIke);
  EXPECT_EQ(ToHex(classified.payload), ToHex(message));
}

}  // namespace
}  // namespace ipop::daemon
