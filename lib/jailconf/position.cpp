#include "lib/jailconf/position.h"

#include <fmt/format.h>

namespace jaild::jailconf {

std::string position::to_string() const {
  return fmt::format("{}:{}:{}", file && !file->empty() ? *file : "<input>", line, column);
}

void fail_at(const position& where, const std::string& message, errc code) {
  throw error(code, where.to_string() + ": " + message);
}

std::string quote_text(std::string_view text) {
  constexpr std::size_t limit = 60;
  std::string out = "'";
  std::size_t shown = 0;
  for (char c : text) {
    if (shown++ == limit) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;  // UTF-8 passes through; model::dump_json repairs what is invalid
    }
  }
  return out + "'";
}

}  // namespace jaild::jailconf
