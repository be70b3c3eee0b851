#include "config/suggestion.h"

#include <algorithm>

namespace ipop::config {
namespace {

// Levenshtein distance with unit costs.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> previous(b.size() + 1);
  std::vector<size_t> current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    previous[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

// A shortened keyword must keep this many characters to count as a prefix
// match, so that "a" does not suggest "aggressive".
constexpr size_t kMinPrefixLength = 4;

}  // namespace

std::optional<std::string> SuggestKeyword(std::string_view word,
                                          const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = 0;
  // Allow one edit per four characters, and at least two.
  const size_t max_distance = std::max<size_t>(2, word.size() / 4);
  for (const std::string& candidate : candidates) {
    if (candidate == word) {
      continue;
    }
    size_t distance = EditDistance(word, candidate);
    const bool prefix = word.size() >= kMinPrefixLength &&
                        (candidate.starts_with(word) || word.starts_with(candidate));
    if (distance > max_distance && !prefix) {
      continue;
    }
    if (prefix) {
      distance = std::min(distance, max_distance);
    }
    if (!best || distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::optional<std::string> suggestion = SuggestKeyword(word, candidates);
  if (!suggestion) {
    return "";
  }
  return "; did you mean \"" + *suggestion + "\"?";
}

}  // namespace ipop::config
