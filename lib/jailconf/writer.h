// From jaild specs to jail.conf(5) text (export). The text is deterministic
// (jails by name, statements in a fixed order, no dates), jail(8) accepts it,
// and importing it gives back the same specs:
//
// - spec fields become jail(8) parameters; lists are written one value per
//   statement ("=" then "+=");
// - limits, cpuset and VNET interfaces become the hooks that jail(8) needs to
//   do the same (rctl, cpuset, epair/bridge/ifconfig/route), which the
//   importer recognises; epair units are numbered over all jails in name
//   order, so a jail's units are the same in a one-jail export;
// - what jail(8) has no parameter for (priority, boot, restart, health, a
//   timeout that is not whole seconds, a managed network) becomes $jaild_*
//   variables, which jail(8) ignores.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lib/model/jail_spec.h"

namespace jaild::jailconf {

// Every jail of `jails`, or only the one named `only`.
std::string write_jail_conf(const std::vector<model::jail_spec>& jails,
                            const std::optional<std::string>& only = std::nullopt);

// A value as a double-quoted jail.conf string: '\', '"' and '$' escaped (so
// nothing expands), control characters as C escapes.
std::string quote_value(std::string_view text);

}  // namespace jaild::jailconf
