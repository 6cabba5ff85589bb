#include "lib/jailconf/jailconf.h"

#include "lib/jailconf/evaluator.h"
#include "lib/jailconf/parser.h"

namespace jaild::jailconf {

std::vector<imported_jail> import_text(std::string_view text, const std::string& file_name,
                                       source_loader& loader) {
  std::vector<imported_jail> out;
  for (const auto& jail : evaluate(parse(text, file_name, loader))) out.push_back(map_jail(jail));
  return out;
}

}  // namespace jaild::jailconf
