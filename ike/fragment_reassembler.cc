#include "ike/fragment_reassembler.h"

#include <algorithm>

namespace ipop::ike {

FragmentAddResult FragmentReassembler::Add(const Endpoint& peer, const IsakmpHeader& header,
                                           const FragmentPayload& fragment, TimePoint now) {
  using Status = FragmentAddResult::Status;
  FragmentAddResult result;
  result.expired = ExpireOld(now);
  auto drop = [&](std::string reason, std::string detail) {
    result.status = Status::kDropped;
    result.drop_reason = std::move(reason);
    result.detail = std::move(detail);
    return result;
  };

  // Checks that need no stored state.
  if (fragment.number > limits_.max_fragments_per_message) {
    return drop("too many fragments", "fragment number " + std::to_string(fragment.number) + " > limit " +
                                          std::to_string(limits_.max_fragments_per_message));
  }
  const Key key{peer, header.initiator_cookie, header.responder_cookie, fragment.fragment_id};
  auto entry = messages_.find(key);

  // A number already held: the same fragment again, or another message
  // under a reused ID.
  if (entry != messages_.end()) {
    const Incomplete& held = entry->second;
    auto same_number = held.fragments.find(fragment.number);
    if (same_number != held.fragments.end()) {
      const bool same_last = (held.last_number == fragment.number) == fragment.last;
      if (same_number->second == fragment.data && same_last) {
        result.status = Status::kDuplicate;
        return result;
      }
      Erase(entry);
      entry = messages_.end();
      result.replaced = true;
    }
  }
  if (entry != messages_.end()) {
    const Incomplete& held = entry->second;
    if (held.last_number != 0 && fragment.number > held.last_number) {
      return drop("fragment beyond the last",
                  "fragment " + std::to_string(fragment.number) + " after last fragment " +
                      std::to_string(held.last_number));
    }
    if (fragment.last && !held.fragments.empty() && held.fragments.rbegin()->first > fragment.number) {
      return drop("fragment beyond the last", "last fragment " + std::to_string(fragment.number) +
                                                  " but fragment " +
                                                  std::to_string(held.fragments.rbegin()->first) + " is held");
    }
    if (held.bytes + fragment.data.size() > limits_.max_message_bytes) {
      Erase(entry);
      return drop("fragmented message too large", "more than " + std::to_string(limits_.max_message_bytes) +
                                                      " bytes; incomplete message discarded");
    }
  } else if (fragment.data.size() > limits_.max_message_bytes) {
    return drop("fragmented message too large", std::to_string(fragment.data.size()) + "-byte fragment");
  }

  // Limits per peer and in total: make room by dropping the oldest
  // incomplete messages, so that a peer that starts over is not locked out
  // by its own stale pieces.
  const size_t size = fragment.data.size();
  const Ipv4Address address = peer.address;
  if (entry == messages_.end()) {
    result.evicted += EvictOldestUntil(&address, key, [&] {
      return IncompleteFrom(address) < limits_.max_incomplete_per_peer;
    });
    result.evicted += EvictOldestUntil(nullptr, key, [&] { return messages_.size() < limits_.max_incomplete_total; });
  }
  result.evicted += EvictOldestUntil(&address, key, [&] {
    return buffered_bytes_from(address) + size <= limits_.max_bytes_per_peer;
  });
  result.evicted += EvictOldestUntil(nullptr, key, [&] { return total_bytes_ + size <= limits_.max_total_bytes; });
  if (buffered_bytes_from(address) + size > limits_.max_bytes_per_peer || total_bytes_ + size > limits_.max_total_bytes) {
    return drop("fragment memory limit", "no room for " + std::to_string(size) + " more bytes");
  }

  // Store, then hand back the message once every piece is there.
  if (entry == messages_.end()) {
    entry = messages_.emplace(key, Incomplete{}).first;
    entry->second.started = now;
  }
  Incomplete& message = entry->second;
  message.fragments.emplace(fragment.number, fragment.data);
  message.bytes += size;
  total_bytes_ += size;
  if (fragment.last) {
    message.last_number = fragment.number;
  }
  if (!IsComplete(message)) {
    result.status = Status::kIncomplete;
    return result;
  }
  result.message = Join(message);
  Erase(entry);
  result.status = Status::kComplete;
  return result;
}

size_t FragmentReassembler::buffered_bytes_from(Ipv4Address peer) const {
  size_t bytes = 0;
  for (const auto& [key, message] : messages_) {
    if (std::get<0>(key).address == peer) {
      bytes += message.bytes;
    }
  }
  return bytes;
}

size_t FragmentReassembler::ExpireOld(TimePoint now) {
  size_t expired = 0;
  for (auto entry = messages_.begin(); entry != messages_.end();) {
    auto next = std::next(entry);
    if (now - entry->second.started >= limits_.timeout) {
      Erase(entry);
      ++expired;
    }
    entry = next;
  }
  return expired;
}

template <typename Fits>
size_t FragmentReassembler::EvictOldestUntil(const Ipv4Address* peer, const Key& keep, Fits fits) {
  size_t evicted = 0;
  while (!fits()) {
    auto oldest = messages_.end();
    for (auto entry = messages_.begin(); entry != messages_.end(); ++entry) {
      const bool candidate = entry->first != keep && (peer == nullptr || std::get<0>(entry->first).address == *peer);
      if (candidate && (oldest == messages_.end() || entry->second.started < oldest->second.started)) {
        oldest = entry;
      }
    }
    if (oldest == messages_.end()) {
      break;
    }
    Erase(oldest);
    ++evicted;
  }
  return evicted;
}

void FragmentReassembler::Erase(std::map<Key, Incomplete>::iterator entry) {
  total_bytes_ -= entry->second.bytes;
  messages_.erase(entry);
}

size_t FragmentReassembler::IncompleteFrom(Ipv4Address peer) const {
  return static_cast<size_t>(std::ranges::count_if(
      messages_, [&](const auto& entry) { return std::get<0>(entry.first).address == peer; }));
}

bool FragmentReassembler::IsComplete(const Incomplete& message) {
  // Numbers are unique keys from 1 up and none exceeds the last, so the
  // count tells whether any is missing.
  return message.last_number != 0 && message.fragments.size() == message.last_number;
}

Bytes FragmentReassembler::Join(const Incomplete& message) {
  Bytes joined;
  joined.reserve(message.bytes);
  for (const auto& [number, data] : message.fragments) {
    joined.insert(joined.end(), data.begin(), data.end());
  }
  return joined;
}

}  // namespace ipop::ike
