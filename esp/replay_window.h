// The anti-replay sliding window of RFC 4303 §3.4.3, split in two steps so
// that a forged packet cannot move it: Check before the ICV is verified,
// Commit only after it passed.
//
// The bitmap is a ring of 64-bit words indexed by sequence number, one word
// larger than the window, so that sliding forward clears whole words instead
// of shifting every bit. Not thread-safe: SecurityAssociation guards it.
#ifndef IPOP_ESP_REPLAY_WINDOW_H_
#define IPOP_ESP_REPLAY_WINDOW_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace ipop::esp {

// RFC 4303 §3.4.3: 32 packets minimum, 64 recommended as the default.
inline constexpr uint32_t kDefaultReplayWindow = 64;
// Our upper bound; 1024 bits keep the window in 136 bytes per SA.
inline constexpr uint32_t kMaxReplayWindow = 1024;

enum class ReplayVerdict {
  kAccept,     // new, inside the window or ahead of it
  kDuplicate,  // inside the window and already received
  kTooOld,     // left of the window
  kZero,       // sequence number 0 is never sent (RFC 4303 §3.3.3)
};

const char* ReplayVerdictName(ReplayVerdict verdict);

class ReplayWindow {
 public:
  // `size` is the window in packets, 1..kMaxReplayWindow; the caller checks
  // the range. Size 0 disables the check (RFC 4303 §3.4.3 lets a receiver
  // turn anti-replay off), and then every non-zero number is accepted.
  explicit ReplayWindow(uint32_t size = kDefaultReplayWindow);

  // Tells whether `sequence` may be accepted; changes nothing.
  ReplayVerdict Check(uint32_t sequence) const;
  // Marks `sequence` as received and slides the window when it is ahead.
  // Checks again first, so that two workers that both passed Check for the
  // same number cannot both commit it; returns false for the loser.
  bool Commit(uint32_t sequence);

  uint32_t size() const { return size_; }
  // The highest sequence number committed so far, 0 before the first.
  uint32_t highest() const { return highest_; }

 private:
  static constexpr size_t kWordBits = 64;
  static constexpr size_t kMaxWords = kMaxReplayWindow / kWordBits + 1;

  bool IsMarked(uint32_t sequence) const;
  void Mark(uint32_t sequence);
  void SlideTo(uint32_t sequence);

  uint32_t size_;
  size_t words_;  // ring length in words: ceil(size / 64) + 1
  uint32_t highest_ = 0;
  std::array<uint64_t, kMaxWords> bitmap_{};
};

}  // namespace ipop::esp

#endif  // IPOP_ESP_REPLAY_WINDOW_H_
