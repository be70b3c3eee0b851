#include "esp/replay_window.h"

namespace ipop::esp {

const char* ReplayVerdictName(ReplayVerdict verdict) {
  switch (verdict) {
    case ReplayVerdict::kAccept:
      return "accept";
    case ReplayVerdict::kDuplicate:
      return "duplicate";
    case ReplayVerdict::kTooOld:
      return "too old";
    case ReplayVerdict::kZero:
      return "sequence number zero";
  }
  return "?";
}

ReplayWindow::ReplayWindow(uint32_t size)
    : size_(size), words_((size + kWordBits - 1) / kWordBits + 1) {}

ReplayVerdict ReplayWindow::Check(uint32_t sequence) const {
  if (sequence == 0) {
    return ReplayVerdict::kZero;
  }
  if (size_ == 0 || sequence > highest_) {
    return ReplayVerdict::kAccept;
  }
  if (highest_ - sequence >= size_) {
    return ReplayVerdict::kTooOld;
  }
  return IsMarked(sequence) ? ReplayVerdict::kDuplicate : ReplayVerdict::kAccept;
}

bool ReplayWindow::Commit(uint32_t sequence) {
  if (Check(sequence) != ReplayVerdict::kAccept) {
    return false;
  }
  if (size_ == 0) {
    if (sequence > highest_) {
      highest_ = sequence;
    }
    return true;
  }
  if (sequence > highest_) {
    SlideTo(sequence);
  }
  Mark(sequence);
  return true;
}

bool ReplayWindow::IsMarked(uint32_t sequence) const {
  const size_t bit = sequence % (words_ * kWordBits);
  return (bitmap_[bit / kWordBits] >> (bit % kWordBits)) & 1U;
}

void ReplayWindow::Mark(uint32_t sequence) {
  const size_t bit = sequence % (words_ * kWordBits);
  bitmap_[bit / kWordBits] |= uint64_t{1} << (bit % kWordBits);
}

// Clears the words that the numbers highest_+1 .. sequence map to, so that
// bits left from an earlier turn of the ring do not read as received. The
// word holding highest_ itself stays because it still carries live bits.
void ReplayWindow::SlideTo(uint32_t sequence) {
  const uint64_t old_word = highest_ / kWordBits;
  const uint64_t new_word = sequence / kWordBits;
  const uint64_t steps = new_word - old_word;
  if (steps >= words_) {
    bitmap_.fill(0);
  } else {
    for (uint64_t word = old_word + 1; word <= new_word; ++word) {
      bitmap_[word % words_] = 0;
    }
  }
  highest_ = sequence;
}

}  // namespace ipop::esp
