// The plan of an import (engine::import_jails, import.cpp; jail.conf or JSON
// specs, POST /v1/jails/import, jailctl import and apply): what would happen,
// or happened, to each jail of the file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/model/spec_diff.h"

namespace jaild::engine {

enum class import_action { create, change, unchanged };
std::string_view import_action_name(import_action a);  // "create", "change", "unchanged"

struct import_entry {
  std::string name;
  import_action action = import_action::create;
  std::vector<model::field_change> diff;  // what a change changes (model::diff_specs)
  std::vector<std::string> changed;       // the top-level fields of `diff` ("exec", "ip4")
  std::vector<std::string> warnings;  // from the platform's check of the spec
};

}  // namespace jaild::engine
