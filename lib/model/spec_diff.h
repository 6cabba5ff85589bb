// What differs between two specs of a jail, field by field, in the words an
// admin uses: "hostname", "exec.start", "params.allow.raw_sockets",
// "limits.memoryuse:deny", "vnet.interfaces[0].ip4". The plan of an import
// or an apply (engine/import.h) is made of these; jailctl prints them.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/model/jail_spec.h"

namespace jaild::model {

struct field_change {
  std::string field;      // dotted path, as above; its first part is a top-level spec field
  nlohmann::json before;  // null when the field was not set
  nlohmann::json after;   // null when it is no longer set

  bool operator==(const field_change&) const = default;
};

// The changes from `before` to `after`, in the spec's field order (then key
// order); empty exactly when the two specs are equal. Objects (params, exec,
// mount, restart, health) are compared key by key and lists of interfaces
// element by element; other lists are one value. Limits are keyed by
// resource and action ("memoryuse:deny", "pcpu:deny/process") with the
// amount as value, so that a changed amount is one change.
std::vector<field_change> diff_specs(const jail_spec& before, const jail_spec& after);

}  // namespace jaild::model
