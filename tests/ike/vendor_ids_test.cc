#include "ike/vendor_ids.h"

#include <gtest/gtest.h>

namespace ipop::ike {
namespace {

// Expected bytes computed independently with Python:
//   python3 -c 'import hashlib; print(hashlib.md5(b"RFC 3947").hexdigest())'
// and the same for the other strings. The DPD value is printed in RFC 3706
// §5.1.
struct VendorIdCase {
  KnownVendorId id;
  const char* md5_input;  // nullptr when the ID is not an MD5 digest
  const char* expected_hex;
};

constexpr VendorIdCase kCases[] = {
    {KnownVendorId::kRfc3947, "RFC 3947", "4a131c81070358455c5728f20e95452f"},
    {KnownVendorId::kNatTDraft02, "draft-ietf-ipsec-nat-t-ike-02", "cd60464335df21f87cfdb2fc68b6a448"},
    {KnownVendorId::kNatTDraft02Newline, "draft-ietf-ipsec-nat-t-ike-02\n", "90cb80913ebb696e086381b5ec427b1f"},
    {KnownVendorId::kNatTDraft03, "draft-ietf-ipsec-nat-t-ike-03", "7d9419a65310ca6f2c179d9215529d56"},
    {KnownVendorId::kIkeFragmentation, "FRAGMENTATION", "4048b7d56ebce88525e7de7f00d6c2d3"},
    {KnownVendorId::kDpd, nullptr, "afcad71368a1f1c96b8696fc77570100"},
};

TEST(VendorIdsTest, BytesMatchIndependentDigests) {
  for (const VendorIdCase& entry : kCases) {
    EXPECT_EQ(ToHex(VendorIdBytes(entry.id)), entry.expected_hex) << VendorIdName(entry.id);
  }
}

TEST(VendorIdsTest, RecognizesEachKnownId) {
  for (const VendorIdCase& entry : kCases) {
    EXPECT_EQ(RecognizeVendorId(HexToBytes(entry.expected_hex)), entry.id) << entry.expected_hex;
  }
}

TEST(VendorIdsTest, RacoonFragmentationVariant) {
  const Bytes with_flags = FragmentationVendorId(kFragmentationFlagsRacoon);
  EXPECT_EQ(ToHex(with_flags), "4048b7d56ebce88525e7de7f00d6c2d3c0000000");
  EXPECT_EQ(RecognizeVendorId(with_flags), KnownVendorId::kIkeFragmentation);
  EXPECT_EQ(FragmentationFlags(with_flags), kFragmentationFlagsRacoon);
  EXPECT_FALSE(FragmentationFlags(VendorIdBytes(KnownVendorId::kIkeFragmentation)).has_value());
}

TEST(VendorIdsTest, IgnoresNearMisses) {
  const Bytes rfc3947 = VendorIdBytes(KnownVendorId::kRfc3947);
  // A known prefix with extra bytes, a cut-off ID and a one-bit change.
  Bytes longer = rfc3947;
  longer.push_back(std::byte{0});
  Bytes flipped = rfc3947;
  flipped[15] ^= std::byte{1};
  EXPECT_EQ(RecognizeVendorId(longer), KnownVendorId::kUnknown);
  EXPECT_EQ(RecognizeVendorId(ByteView(rfc3947).first(15)), KnownVendorId::kUnknown);
  EXPECT_EQ(RecognizeVendorId(flipped), KnownVendorId::kUnknown);
  EXPECT_EQ(RecognizeVendorId({}), KnownVendorId::kUnknown);
  // DPD with another version number is another ID.
  EXPECT_EQ(RecognizeVendorId(HexToBytes("afcad71368a1f1c96b8696fc77570200")), KnownVendorId::kUnknown);
  EXPECT_TRUE(VendorIdBytes(KnownVendorId::kUnknown).empty());
}

}  // namespace
}  // namespace ipop::ike
