// From a jail's evaluated parameters to a jaild spec (import).
//
// jail(8) parameters that jaild models become spec fields; every other
// parameter is kept verbatim in `params` (numbers as JSON numbers, true/false
// and valueless flags as booleans, lists as arrays). Recognised hook patterns
// (hook_patterns.h, vnet_plumbing.h) become limits, cpuset and VNET
// interfaces; jaild's own settings come from $jaild_* variables, which
// jail(8) ignores. The spec is then decoded by model::spec_from_json, so that
// every value meets the same validators as a spec sent to the API; an
// invalid value is an error at the position of the text it came from.
//
// Where jail(8)'s defaults differ from a JSON spec's, a jail.conf jail gets
// jail(8)'s: no persist, no exec.clean unless written. exec.timeout, which is
// unbounded in jail(8), gets jaild's default (jaild has no infinite timeouts).
#pragma once

#include <string>
#include <vector>

#include "lib/jailconf/evaluator.h"
#include "lib/model/jail_spec.h"

namespace jaild::jailconf {

struct imported_jail {
  model::jail_spec spec;
  std::vector<std::string> warnings;  // what jaild does differently, "FILE:LINE:COL: ..."
  position pos;                       // of the jail's block
  // The vnet.interface names that spec.vnet->interfaces were lifted from,
  // in order ("epair0b"); empty when $jaild_vnet variables describe them.
  std::vector<std::string> vnet_names = {};
};

// Throws jaild::error: jailconf_syntax for what jail(8) itself would refuse,
// the validator's code (invalid_value, invalid_name, ...) for a value jaild
// refuses; the message starts with FILE:LINE:COL and names the jail.
imported_jail map_jail(const evaluated_jail& jail);

// The names of jaild's variables ("jaild_priority", ...), for the docs and tests.
const std::vector<std::string>& jaild_variable_names();

}  // namespace jaild::jailconf
