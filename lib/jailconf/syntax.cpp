#include "lib/jailconf/syntax.h"

namespace jaild::jailconf {

bool word::is_literal() const {
  for (const auto& p : pieces)
    if (p.variable) return false;
  return true;
}

std::string word::literal() const {
  std::string out;
  for (const auto& p : pieces) out += p.text;
  return out;
}

}  // namespace jaild::jailconf
