// How much of the host a jail shares, decided from its spec (pure functions):
// whether it gets a network namespace of its own, or is held to its addresses
// in the host's. What jail root may do is
// confinement.h's.
#pragma once

#include <nlohmann/json.hpp>

#include "lib/model/jail_spec.h"

namespace jaild::host::linux_host {

// VNET jails get their own network stack. A shared-IP jail (ip4/ip6, or
// ip4 = "inherit") uses the host's, as on FreeBSD. A jail with neither gets an
// empty one with only loopback (FreeBSD's ip4 = "disable").
bool needs_own_netns(const model::jail_spec& spec);

// Whether a shared-IP jail is held to its addresses (socket_policy.h): it
// shares the host's stack, has addresses, and says "inherit" for neither
// family (FreeBSD's ip4 = "inherit" leaves that family unrestricted, which
// the hooks cannot do for one family alone).
bool holds_to_addresses(const model::jail_spec& spec);

// A jail(8) boolean parameter of the spec: true, a non-zero number, or
// "true", "1", "yes".
bool jail_param_true(const nlohmann::json& params, const char* name);

}  // namespace jaild::host::linux_host
