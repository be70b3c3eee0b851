#include "ike/lifetime.h"

#include <string>

#include "base/byte_writer.h"
#include "ike/constants.h"

namespace ipop::ike {

namespace {

// Soft points in percent of the lifetime, and the jitter taken off them.
constexpr uint64_t kInitiatorRekeyPercent = 80;
constexpr uint64_t kResponderRekeyPercent = 90;
constexpr uint64_t kRekeyJitterPercent = 5;

// Compares two limits where 0 means "no limit".
bool LongerThan(uint64_t a, uint64_t b) {
  if (a == 0) {
    return b != 0;
  }
  return b != 0 && a > b;
}

std::string LimitText(uint64_t value, const char* unit) {
  return value == 0 ? std::string("no limit") : std::to_string(value) + " " + unit;
}

DataAttribute LifeDuration(uint64_t value) {
  if (value <= 0xffff) {
    return DataAttribute::Basic(kIpsecAttributeSaLifeDuration, static_cast<uint16_t>(value));
  }
  ByteWriter bytes;
  bytes.WriteU32(static_cast<uint32_t>(value));
  return DataAttribute::Variable(kIpsecAttributeSaLifeDuration, bytes.Take());
}

// Chooses one limit; sets `rejected` with the reason when the level rejects it.
uint64_t ChooseLimit(config::ProposalCheck check, uint64_t offered, uint64_t configured, bool& shortened,
                     std::string& rejected, const char* unit) {
  switch (check) {
    case config::ProposalCheck::kObey:
      return offered;
    case config::ProposalCheck::kStrict:
      if (LongerThan(offered, configured)) {
        rejected = "the initiator's lifetime (" + LimitText(offered, unit) + ") is longer than ours (" +
                   LimitText(configured, unit) + ") and proposal_check is strict";
      }
      return offered;
    case config::ProposalCheck::kClaim:
      if (LongerThan(offered, configured)) {
        shortened = true;
        return configured;
      }
      return offered;
    case config::ProposalCheck::kExact:
      if (offered != configured) {
        rejected = "the initiator's lifetime (" + LimitText(offered, unit) + ") differs from ours (" +
                   LimitText(configured, unit) + ") and proposal_check is exact";
      }
      return offered;
  }
  return offered;
}

}  // namespace

Result<LifetimeChoice> ChooseResponderLifetime(config::ProposalCheck check, const Lifetime& offered,
                                               const Lifetime& configured, bool phase2) {
  LifetimeChoice choice;
  bool shortened = false;
  std::string rejected;
  choice.lifetime.seconds = std::chrono::seconds(ChooseLimit(
      check, static_cast<uint64_t>(offered.seconds.count()), static_cast<uint64_t>(configured.seconds.count()),
      shortened, rejected, "s"));
  if (rejected.empty()) {
    choice.lifetime.kilobytes = ChooseLimit(check, offered.kilobytes, configured.kilobytes, shortened, rejected, "KB");
  }
  if (!rejected.empty()) {
    return Fail(ErrorCode::kNoProposalChosen, rejected, kNotifyNoProposalChosen);
  }
  choice.notify_initiator = shortened && phase2;
  return choice;
}

std::vector<DataAttribute> EncodeIpsecLifetime(const Lifetime& lifetime) {
  std::vector<DataAttribute> attributes;
  attributes.push_back(DataAttribute::Basic(kIpsecAttributeSaLifeType, kIpsecLifeTypeSeconds));
  attributes.push_back(LifeDuration(static_cast<uint64_t>(lifetime.seconds.count())));
  if (lifetime.kilobytes != 0) {
    attributes.push_back(DataAttribute::Basic(kIpsecAttributeSaLifeType, kIpsecLifeTypeKilobytes));
    attributes.push_back(LifeDuration(lifetime.kilobytes));
  }
  return attributes;
}

Result<Lifetime> DecodeIpsecLifetime(const std::vector<DataAttribute>& attributes) {
  Lifetime lifetime;
  std::optional<uint64_t> life_type;
  for (const DataAttribute& attribute : attributes) {
    if (attribute.type != kIpsecAttributeSaLifeType && attribute.type != kIpsecAttributeSaLifeDuration) {
      continue;
    }
    const std::optional<uint64_t> value = attribute.AsInteger();
    if (!value) {
      return Fail(ErrorCode::kMalformed, "SA life attribute value longer than 8 bytes", kNotifyPayloadMalformed);
    }
    if (attribute.type == kIpsecAttributeSaLifeType) {
      if (*value != kIpsecLifeTypeSeconds && *value != kIpsecLifeTypeKilobytes) {
        return Fail(ErrorCode::kMalformed, "unknown SA life type " + std::to_string(*value),
                    kNotifyPayloadMalformed);
      }
      life_type = *value;
      continue;
    }
    // RFC 2407 §4.5: an SA Life Duration must follow its SA Life Type.
    if (!life_type || *value == 0) {
      return Fail(ErrorCode::kMalformed, !life_type ? "SA life duration without a life type" : "SA life duration 0",
                  kNotifyPayloadMalformed);
    }
    if (*life_type == kIpsecLifeTypeSeconds) {
      lifetime.seconds = std::chrono::seconds(*value);
    } else {
      lifetime.kilobytes = *value;
    }
    life_type.reset();
  }
  return lifetime;
}

Duration RekeyDelay(std::chrono::seconds lifetime, bool initiator, uint32_t random) {
  const uint64_t lifetime_ms = static_cast<uint64_t>(std::chrono::milliseconds(lifetime).count());
  const uint64_t percent = initiator ? kInitiatorRekeyPercent : kResponderRekeyPercent;
  const uint64_t jitter = random % (lifetime_ms * kRekeyJitterPercent / 100 + 1);
  return std::chrono::milliseconds(lifetime_ms * percent / 100 - jitter);
}

uint64_t RekeyBytes(uint64_t kilobytes, bool initiator) {
  const uint64_t percent = initiator ? kInitiatorRekeyPercent : kResponderRekeyPercent;
  return kilobytes * 1024 * percent / 100;
}

}  // namespace ipop::ike
