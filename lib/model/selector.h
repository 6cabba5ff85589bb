// Which jails a list asks for: GET /v1/jails?label=team=web,tier&state=running.
// A scheduler driving several jaild hosts finds its own jails again by their
// labels (DESIGN.md section 8) without reading every spec.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/model/jail_spec.h"
#include "lib/model/jail_status.h"

namespace jaild::model {

struct jail_selector {
  struct label_match {
    std::string key;
    std::optional<std::string> value;  // nullopt: the key is present, with any value
  };
  std::vector<label_match> labels;  // all must match
  std::vector<jail_state> states;   // any may match; empty = every state

  bool empty() const { return labels.empty() && states.empty(); }
  bool matches(const jail_spec& spec, const jail_status& status) const;
};

// `label`: KEY=VALUE or KEY, several separated by ','; `state`: state names
// separated by ','. Either may be absent (nullopt). A bad key or an unknown
// state throws jaild::error (bad_request) naming it.
jail_selector parse_selector(const std::optional<std::string>& label,
                             const std::optional<std::string>& state);

}  // namespace jaild::model
