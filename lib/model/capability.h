// Linux capability names, for the spec's confinement.capabilities: one table
// (the index is the capability's number, as in <linux/capability.h>), used by
// the spec's validator and by the Linux adapter. Pure, platform-neutral: the
// names are data here; only lib/host/linux turns them into a profile.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jaild::model {

// "CHOWN", "DAC_OVERRIDE", ... "CHECKPOINT_RESTORE": capabilities 0..40.
const std::vector<std::string_view>& capability_names();

// The number of a capability name; "CAP_" in front and any case are accepted.
std::optional<int> capability_number(std::string_view name);

// The canonical spelling of a name ("cap_sys_ptrace" -> "SYS_PTRACE"); "" when unknown.
std::string canonical_capability(std::string_view name);

}  // namespace jaild::model
