#include "config/suggestion.h"

#include <algorithm>

namespace ipop::config {
namespace {

// Edit distance with unit costs where swapping two neighbouring characters
// counts as one edit ("tpc" is one edit from "tcp"): the optimal string
// alignment variant of the Damerau-Levenshtein distance.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// A shortened keyword must keep this many characters to count as a prefix
// match, so that "a" does not suggest "aggressive".
constexpr size_t kMinPrefixLength = 4;

}  // namespace

std::optional<std::string> SuggestKeyword(std::string_view word,
                                          const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = 0;
  // Allow one edit in words of up to three characters, else one edit per
  // four characters and at least two.
  const size_t max_distance = word.size() <= 3 ? 1 : std::max<size_t>(2, word.size() / 4);
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
