// Small text helpers shared by the parsers of kernel and tool output.
#pragma once

#include <string_view>
#include <vector>

namespace jaild::model {

// Every field between separators, empty ones included: "a::b" -> {"a", "", "b"};
// "" -> {""}. The views point into `s`.
inline std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

}  // namespace jaild::model
