// jail.conf(5) import, the entry point: parse (with includes), evaluate per
// jail as jail(8) does, and map each jail to a validated jaild spec. Export is
// writer.h. The format and its mapping are described in docs/jailconf.md.
//
// Pure functions of their input (and of what the loader reads); thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/jailconf/source_loader.h"
#include "lib/jailconf/spec_mapping.h"
#include "lib/jailconf/writer.h"

namespace jaild::jailconf {

// Every jail of the text, in file order. `file_name` names the text in
// messages and is the base of relative `.include`s (give an absolute path,
// or includes must be absolute). Throws jaild::error at the first error; the
// message starts with FILE:LINE:COL.
std::vector<imported_jail> import_text(std::string_view text, const std::string& file_name,
                                       source_loader& loader);

}  // namespace jaild::jailconf
