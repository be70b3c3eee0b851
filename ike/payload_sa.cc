#include "ike/payload_sa.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include "base/byte_reader.h"
#include "base/byte_writer.h"

namespace ipop::ike {
namespace {

std::unexpected<Error> BadSyntax(std::string detail) {
  return Fail(ErrorCode::kMalformed, std::move(detail), kNotifyBadProposalSyntax);
}

// Largest variable attribute value AsInteger converts.
constexpr size_t kMaxIntegerAttributeSize = 8;

Result<DataAttribute> ParseAttribute(ByteReader& reader) {
  uint16_t format_and_type = 0;
  uint16_t length_or_value = 0;
  if (!reader.ReadU16(format_and_type) || !reader.ReadU16(length_or_value)) {
    return BadSyntax("data attribute header truncated");
  }
  DataAttribute attribute;
  attribute.type = format_and_type & kAttributeTypeMask;
  attribute.basic = (format_and_type & kAttributeFormatBasic) != 0;
  if (attribute.basic) {
    attribute.basic_value = length_or_value;
    return attribute;
  }
  ByteView value;
  if (!reader.ReadBytes(length_or_value, value)) {
    return BadSyntax("attribute " + std::to_string(attribute.type) + " value of " +
                     std::to_string(length_or_value) + " bytes truncated");
  }
  attribute.variable_value.assign(value.begin(), value.end());
  return attribute;
}

// Reads the generic header of a nested proposal or transform and returns a
// reader over the rest of it. `header_size` is the fixed part including the
// generic header.
Result<ByteReader> ReadNestedPayload(ByteReader& reader, const std::string& location, size_t header_size,
                                     uint8_t& next_type) {
  uint8_t reserved = 0;
  uint16_t length = 0;
  if (!reader.ReadU8(next_type) || !reader.ReadU8(reserved) || !reader.ReadU16(length)) {
    return BadSyntax(location + " header truncated");
  }
  if (reserved != 0) {
    return BadSyntax(location + " RESERVED is " + std::to_string(reserved) + ", not 0");
  }
  if (length < header_size) {
    return BadSyntax(location + " length " + std::to_string(length) + " < minimum " + std::to_string(header_size));
  }
  ByteReader nested(ByteView{});
  if (!reader.ReadSubReader(length - kGenericPayloadHeaderSize, nested)) {
    return BadSyntax(location + " length " + std::to_string(length) + " exceeds the " +
                     std::to_string(reader.remaining_size() + kGenericPayloadHeaderSize) + " bytes left");
  }
  return nested;
}

Result<Transform> ParseTransform(ByteReader& reader, const std::string& location, uint8_t& next_type) {
  auto nested = ReadNestedPayload(reader, location, kTransformHeaderSize, next_type);
  if (!nested) {
    return std::unexpected(std::move(nested.error()));
  }
  Transform transform;
  uint16_t reserved2 = 0;
  if (!nested->ReadU8(transform.number) || !nested->ReadU8(transform.transform_id) ||
      !nested->ReadU16(reserved2)) {
    return BadSyntax(location + " truncated");
  }
  if (reserved2 != 0) {
    return BadSyntax(location + " RESERVED2 is " + std::to_string(reserved2) + ", not 0");
  }
  while (!nested->empty()) {
    auto attribute = ParseAttribute(*nested);
    if (!attribute) {
      return BadSyntax(location + ": " + attribute.error().detail);
    }
    transform.attributes.push_back(std::move(*attribute));
  }
  return transform;
}

Result<Proposal> ParseProposal(ByteReader& reader, const std::string& location, uint8_t& next_type) {
  auto nested = ReadNestedPayload(reader, location, kProposalHeaderSize, next_type);
  if (!nested) {
    return std::unexpected(std::move(nested.error()));
  }
  Proposal proposal;
  uint8_t spi_size = 0;
  uint8_t transform_count = 0;
  ByteView spi;
  if (!nested->ReadU8(proposal.number) || !nested->ReadU8(proposal.protocol_id) || !nested->ReadU8(spi_size) ||
      !nested->ReadU8(transform_count)) {
    return BadSyntax(location + " truncated");
  }
  if (!nested->ReadBytes(spi_size, spi)) {
    return BadSyntax(location + " SPI of " + std::to_string(spi_size) + " bytes truncated");
  }
  proposal.spi.assign(spi.begin(), spi.end());

  if (transform_count == 0) {
    return BadSyntax(location + " declares no transforms");
  }
  uint8_t transform_next = static_cast<uint8_t>(PayloadType::kTransform);
  for (size_t i = 0; i < transform_count; ++i) {
    if (transform_next != static_cast<uint8_t>(PayloadType::kTransform)) {
      return BadSyntax(location + " declares " + std::to_string(transform_count) + " transforms but chains only " +
                       std::to_string(i));
    }
    auto transform = ParseTransform(*nested, location + " transform " + std::to_string(i), transform_next);
    if (!transform) {
      return std::unexpected(std::move(transform.error()));
    }
    proposal.transforms.push_back(std::move(*transform));
  }
  if (transform_next != static_cast<uint8_t>(PayloadType::kNone)) {
    return BadSyntax(location + " last transform has next payload " + std::to_string(transform_next) + ", not 0");
  }
  if (!nested->empty()) {
    return BadSyntax(location + " has " + std::to_string(nested->remaining_size()) + " bytes after " +
                     std::to_string(transform_count) + " transforms");
  }
  return proposal;
}

void EncodeAttribute(const DataAttribute& attribute, ByteWriter& out) {
  assert(attribute.type <= kAttributeTypeMask);
  if (attribute.basic) {
    out.WriteU16(kAttributeFormatBasic | attribute.type);
    out.WriteU16(attribute.basic_value);
    return;
  }
  assert(attribute.variable_value.size() <= UINT16_MAX);
  out.WriteU16(attribute.type);
  out.WriteU16(static_cast<uint16_t>(attribute.variable_value.size()));
  out.WriteBytes(attribute.variable_value);
}

void EncodeTransform(const Transform& transform, bool last, ByteWriter& out) {
  const size_t start = out.size();
  out.WriteU8(static_cast<uint8_t>(last ? PayloadType::kNone : PayloadType::kTransform));
  out.WriteU8(0);
  const size_t length_at = out.ReserveU16();
  out.WriteU8(transform.number);
  out.WriteU8(transform.transform_id);
  out.WriteU16(0);
  for (const DataAttribute& attribute : transform.attributes) {
    EncodeAttribute(attribute, out);
  }
  out.PatchU16(length_at, static_cast<uint16_t>(out.size() - start));
}

void EncodeProposal(const Proposal& proposal, bool last, ByteWriter& out) {
  assert(proposal.spi.size() <= UINT8_MAX);
  assert(proposal.transforms.size() <= UINT8_MAX);
  const size_t start = out.size();
  out.WriteU8(static_cast<uint8_t>(last ? PayloadType::kNone : PayloadType::kProposal));
  out.WriteU8(0);
  const size_t length_at = out.ReserveU16();
  out.WriteU8(proposal.number);
  out.WriteU8(proposal.protocol_id);
  out.WriteU8(static_cast<uint8_t>(proposal.spi.size()));
  out.WriteU8(static_cast<uint8_t>(proposal.transforms.size()));
  out.WriteBytes(proposal.spi);
  for (size_t i = 0; i < proposal.transforms.size(); ++i) {
    EncodeTransform(proposal.transforms[i], i + 1 == proposal.transforms.size(), out);
  }
  out.PatchU16(length_at, static_cast<uint16_t>(out.size() - start));
}

}  // namespace

Result<std::vector<DataAttribute>> ParseDataAttributes(ByteView body) {
  ByteReader reader(body);
  std::vector<DataAttribute> attributes;
  while (reader.remaining_size() > 0) {
    auto attribute = ParseAttribute(reader);
    if (!attribute) {
      return std::unexpected(attribute.error());
    }
    attributes.push_back(std::move(*attribute));
  }
  return attributes;
}

Bytes EncodeDataAttributes(const std::vector<DataAttribute>& attributes) {
  ByteWriter out;
  for (const DataAttribute& attribute : attributes) {
    EncodeAttribute(attribute, out);
  }
  return out.Take();
}

DataAttribute DataAttribute::Basic(uint16_t type, uint16_t value) {
  DataAttribute attribute;
  attribute.type = type;
  attribute.basic = true;
  attribute.basic_value = value;
  return attribute;
}

DataAttribute DataAttribute::Variable(uint16_t type, Bytes value) {
  DataAttribute attribute;
  attribute.type = type;
  attribute.basic = false;
  attribute.variable_value = std::move(value);
  return attribute;
}

std::optional<uint64_t> DataAttribute::AsInteger() const {
  if (basic) {
    return basic_value;
  }
  if (variable_value.empty() || variable_value.size() > kMaxIntegerAttributeSize) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (std::byte b : variable_value) {
    value = (value << 8) | std::to_integer<uint8_t>(b);
  }
  return value;
}

const DataAttribute* Transform::Find(uint16_t type) const {
  for (const DataAttribute& attribute : attributes) {
    if (attribute.type == type) {
      return &attribute;
    }
  }
  return nullptr;
}

Result<SaPayload> ParseSaPayload(ByteView body) {
  ByteReader reader(body);
  SaPayload payload;
  if (!reader.ReadU32(payload.doi) || !reader.ReadU32(payload.situation)) {
    return BadSyntax("SA payload truncated (" + std::to_string(body.size()) + " < 8 bytes)");
  }
  if (payload.doi != kDoiIpsec) {
    return Fail(ErrorCode::kUnsupported, "SA DOI " + std::to_string(payload.doi) + " is not IPsec (1)",
                kNotifyDoiNotSupported);
  }
  if (payload.situation != kSituationIdentityOnly) {
    return Fail(ErrorCode::kUnsupported,
                "SA situation " + std::to_string(payload.situation) + " is not SIT_IDENTITY_ONLY",
                kNotifySituationNotSupported);
  }

  uint8_t next_type = static_cast<uint8_t>(PayloadType::kProposal);
  while (next_type == static_cast<uint8_t>(PayloadType::kProposal)) {
    auto proposal = ParseProposal(reader, "proposal " + std::to_string(payload.proposals.size()), next_type);
    if (!proposal) {
      return std::unexpected(std::move(proposal.error()));
    }
    payload.proposals.push_back(std::move(*proposal));
  }
  if (next_type != static_cast<uint8_t>(PayloadType::kNone)) {
    return BadSyntax("proposal has next payload " + std::to_string(next_type) + ", not 2 or 0");
  }
  if (!reader.empty()) {
    return BadSyntax(std::to_string(reader.remaining_size()) + " bytes follow the last proposal");
  }
  return payload;
}

Bytes EncodeBody(const SaPayload& payload) {
  ByteWriter out;
  out.WriteU32(payload.doi);
  out.WriteU32(payload.situation);
  for (size_t i = 0; i < payload.proposals.size(); ++i) {
    EncodeProposal(payload.proposals[i], i + 1 == payload.proposals.size(), out);
  }
  return out.Take();
}

std::vector<std::vector<const Proposal*>> GroupProposals(const SaPayload& payload) {
  std::vector<std::vector<const Proposal*>> groups;
  for (const Proposal& proposal : payload.proposals) {
    auto group = std::find_if(groups.begin(), groups.end(),
                              [&](const auto& existing) { return existing.front()->number == proposal.number; });
    if (group == groups.end()) {
      groups.push_back({&proposal});
    } else {
      group->push_back(&proposal);
    }
  }
  return groups;
}

}  // namespace ipop::ike
