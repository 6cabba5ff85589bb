// Names of the two ends of a VNET interface pair, derived from the instance id
// that jaild allocates and records for a jail (never from the JID), so that a
// jaild restart and the reconciler find them again. The instance id begins
// with the jaild's own tag, so two jailds on one host never pick the same. Pure; used by the engine
// on both platforms (FreeBSD renames its epairs to them, Linux creates its veth
// pairs with them).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace jaild::host {

struct interface_pair_names {
  std::string host_end;  // "e0a_<id>": joins the bridge
  std::string jail_end;  // "e0b_<id>": moves into the jail
};

// "e<index>a_<instance>" / "e<index>b_<instance>", at most 15 characters
// (IFNAMSIZ - 1). An instance id that is too long or has characters an
// interface name cannot carry is replaced by a stable 32-bit hash of it in
// base 36, so the result is always a valid name and always the same for the
// same input.
interface_pair_names vnet_interface_names(std::string_view instance, std::size_t index);

}  // namespace jaild::host
