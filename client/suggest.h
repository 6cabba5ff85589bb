// "Did you mean": the known word nearest to a mistyped one, for commands,
// fields and jail(8) parameters.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jaild::client {

// The candidate closest to `word` by edit distance (insertions, deletions,
// substitutions and swaps of two neighbours), if it is close enough to be a
// typo: at most 1 edit for words of up to 4 letters, 2 for longer ones.
// Ties go to the first candidate.
std::optional<std::string> nearest(std::string_view word,
                                   const std::vector<std::string>& candidates);

}  // namespace jaild::client
