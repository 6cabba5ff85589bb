// The plan of a jail.conf import (engine::import_jails, import.cpp): what
// would happen, or happened, to each jail of the file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jaild::engine {

enum class import_action { create, change, unchanged };
std::string_view import_action_name(import_action a);  // "create", "change", "unchanged"

struct import_entry {
  std::string name;
  import_action action = import_action::create;
  std::vector<std::string> changed;   // top-level spec fields that differ ("exec", "ip4")
  std::vector<std::string> warnings;  // from the platform's check of the spec
};

}  // namespace jaild::engine
