// The hand-written hooks that jaild models with fields of its own, read from
// a jail's exec.* lists on import and written back on export:
//
//   limits   "rctl -a jail:NAME:RULE" in exec.prestart, exec.created or
//            exec.poststart; "rctl -r jail:NAME" (with or without "|| true")
//            in exec.poststop or exec.release is jaild's own clean-up;
//   cpuset   "cpuset [-c] -l LIST -j NAME" (any option order, "-cl LIST"
//            too) in exec.created or exec.poststart.
//
// A command matches only when it needs no shell and names this jail; what
// does not match stays a verbatim hook.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/jailconf/hooks.h"

namespace jaild::jailconf {

struct lifted_text {
  std::string text;  // the RCTL rule without subject, or the CPU list
  position pos;      // of the hook it came from
};

// RCTL rules of `jail` (the hooks are marked taken). A rule that jaild's
// validator refuses stays a hook, with a warning.
std::vector<lifted_text> lift_rctl(hook_set& hooks, std::string_view jail,
                                   std::vector<std::string>& warnings);

// The CPU list of `jail`'s one cpuset hook; several stay hooks, with a warning.
std::optional<lifted_text> lift_cpuset(hook_set& hooks, std::string_view jail,
                                       std::vector<std::string>& warnings);

// What export writes (and lift_* reads back).
std::string rctl_add_command(std::string_view jail, std::string_view rule);
std::string rctl_remove_command(std::string_view jail);
std::string cpuset_command(std::string_view jail, std::string_view cpus);

}  // namespace jaild::jailconf
