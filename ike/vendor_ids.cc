#include "ike/vendor_ids.h"

#include <algorithm>
#include <string_view>

#include "base/byte_reader.h"
#include "base/byte_writer.h"

namespace ipop::ike {
namespace {

constexpr size_t kVendorIdHashSize = 16;
constexpr size_t kFragmentationFlagsSize = 4;

struct KnownVendorIdEntry {
  KnownVendorId id;
  std::string_view hex;  // the 16 bytes on the wire
  const char* name;
};

// The MD5 digests are of the strings named in vendor_ids.h; the DPD value is
// the one RFC 3706 §5.1 prints (its last two bytes are version 1.0).
constexpr KnownVendorIdEntry kKnownVendorIds[] = {
    {KnownVendorId::kRfc3947, "4a131c81070358455c5728f20e95452f", "RFC 3947"},
    {KnownVendorId::kNatTDraft02, "cd60464335df21f87cfdb2fc68b6a448", "draft-ietf-ipsec-nat-t-ike-02"},
    {KnownVendorId::kNatTDraft02Newline, "90cb80913ebb696e086381b5ec427b1f",
     "draft-ietf-ipsec-nat-t-ike-02\\n"},
    {KnownVendorId::kNatTDraft03, "7d9419a65310ca6f2c179d9215529d56", "draft-ietf-ipsec-nat-t-ike-03"},
    {KnownVendorId::kDpd, "afcad71368a1f1c96b8696fc77570100", "DPD"},
    {KnownVendorId::kIkeFragmentation, "4048b7d56ebce88525e7de7f00d6c2d3", "IKE fragmentation"},
};

const KnownVendorIdEntry* FindEntry(KnownVendorId id) {
  const auto* entry =
      std::find_if(std::begin(kKnownVendorIds), std::end(kKnownVendorIds), [&](const auto& e) { return e.id == id; });
  return entry == std::end(kKnownVendorIds) ? nullptr : entry;
}

bool StartsWith(ByteView data, const Bytes& prefix) {
  return data.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), data.begin());
}

}  // namespace

Bytes VendorIdBytes(KnownVendorId id) {
  const KnownVendorIdEntry* entry = FindEntry(id);
  return entry == nullptr ? Bytes{} : HexToBytes(entry->hex);
}

Bytes FragmentationVendorId(uint32_t flags) {
  ByteWriter out(VendorIdBytes(KnownVendorId::kIkeFragmentation));
  out.WriteU32(flags);
  return out.Take();
}

KnownVendorId RecognizeVendorId(ByteView data) {
  for (const KnownVendorIdEntry& entry : kKnownVendorIds) {
    const Bytes known = HexToBytes(entry.hex);
    if (data.size() == known.size() && StartsWith(data, known)) {
      return entry.id;
    }
  }
  if (FragmentationFlags(data)) {
    return KnownVendorId::kIkeFragmentation;
  }
  return KnownVendorId::kUnknown;
}

std::optional<uint32_t> FragmentationFlags(ByteView data) {
  if (data.size() != kVendorIdHashSize + kFragmentationFlagsSize ||
      !StartsWith(data, VendorIdBytes(KnownVendorId::kIkeFragmentation))) {
    return std::nullopt;
  }
  return LoadU32(data.subspan(kVendorIdHashSize));
}

const char* VendorIdName(KnownVendorId id) {
  const KnownVendorIdEntry* entry = FindEntry(id);
  return entry == nullptr ? "unknown" : entry->name;
}

}  // namespace ipop::ike
