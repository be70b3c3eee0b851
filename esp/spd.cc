#include "esp/spd.h"

#include <algorithm>
#include <string>

namespace ipop::esp {
namespace {

int NamedPortCount(const Selector& selector) {
  return (selector.destination_port != kAnyPort ? 2 : 0) +
         (selector.source_port != kAnyPort ? 1 : 0);
}

bool SameSelector(const Selector& a, const Selector& b) {
  return a.source.length == b.source.length && a.destination.length == b.destination.length &&
         (a.source.address.value() & a.source.Mask()) ==
             (b.source.address.value() & b.source.Mask()) &&
         (a.destination.address.value() & a.destination.Mask()) ==
             (b.destination.address.value() & b.destination.Mask()) &&
         a.protocol == b.protocol && a.source_port == b.source_port &&
         a.destination_port == b.destination_port;
}

}  // namespace

bool MoreSpecific(const Selector& a, const Selector& b) {
  if (a.destination.length != b.destination.length) {
    return a.destination.length > b.destination.length;
  }
  if (a.source.length != b.source.length) {
    return a.source.length > b.source.length;
  }
  const bool a_protocol = a.protocol != kAnyProtocol;
  const bool b_protocol = b.protocol != kAnyProtocol;
  if (a_protocol != b_protocol) {
    return a_protocol;
  }
  return NamedPortCount(a) > NamedPortCount(b);
}

Result<Policy> Spd::Add(Policy policy) {
  for (const Policy& existing : policies_) {
    if (existing.direction == policy.direction &&
        SameSelector(existing.selector, policy.selector)) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string("policy already exists: ") + policy.selector.source.ToString() +
                      " " + policy.selector.destination.ToString() + " " +
                      PolicyDirectionName(policy.direction) + " (id " +
                      std::to_string(existing.id) + ")");
    }
  }
  policy.id = next_id_++;

  // upper_bound keeps insertion order among equally specific selectors.
  auto position = std::upper_bound(
      policies_.begin(), policies_.end(), policy, [](const Policy& a, const Policy& b) {
        return MoreSpecific(a.selector, b.selector);
      });
  policies_.insert(position, policy);
  return policy;
}

Result<void> Spd::Delete(uint32_t policy_id) {
  auto it = std::find_if(policies_.begin(), policies_.end(),
                         [policy_id](const Policy& policy) { return policy.id == policy_id; });
  if (it == policies_.end()) {
    return Fail(ErrorCode::kNotFound, "no policy with id " + std::to_string(policy_id));
  }
  policies_.erase(it);
  return {};
}

const Policy* Spd::Lookup(PolicyDirection direction, const FiveTuple& tuple) const {
  for (const Policy& policy : policies_) {
    if (policy.direction == direction &&
        policy.selector.Matches(tuple.source, tuple.destination, tuple.protocol,
                                tuple.source_port, tuple.destination_port)) {
      return &policy;
    }
  }
  return nullptr;
}

const Policy* Spd::Find(uint32_t policy_id) const {
  for (const Policy& policy : policies_) {
    if (policy.id == policy_id) {
      return &policy;
    }
  }
  return nullptr;
}

}  // namespace ipop::esp
