// "Did you mean" suggestions for misspelt keywords.
#ifndef IPOP_CONFIG_SUGGESTION_H_
#define IPOP_CONFIG_SUGGESTION_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipop::config {

// Returns the candidate closest to `word`: a small edit distance (a typo) or
// one of the two being a prefix of the other ("encryption_algo"). Returns
// nothing when no candidate is close enough to be a likely intent.
std::optional<std::string> SuggestKeyword(std::string_view word,
                                          const std::vector<std::string>& candidates);

// Returns "; did you mean "X"?" for a suggestion, or "" when there is none, so
// that messages can append it unconditionally.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace ipop::config

#endif  // IPOP_CONFIG_SUGGESTION_H_
