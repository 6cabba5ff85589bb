// How much of the host a jail shares, decided from its spec (pure functions):
// whether it gets a network namespace of its own. What jail root may do is
// confinement.h's.
#pragma once

#include <nlohmann/json.hpp>

#include "lib/model/jail_spec.h"

namespace jaild::host::linux_host {

// VNET jails get their own network stack. A shared-IP jail (ip4/ip6, or
// ip4 = "inherit") uses the host's, as on FreeBSD. A jail with neither gets an
// empty one with only loopback (FreeBSD's ip4 = "disable").
bool needs_own_netns(const model::jail_spec& spec);

// A jail(8) boolean parameter of the spec: true, a non-zero number, or
// "true", "1", "yes".
bool jail_param_true(const nlohmann::json& params, const char* name);

}  // namespace jaild::host::linux_host
