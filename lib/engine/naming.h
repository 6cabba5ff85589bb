// Names jaild gives to what it creates: instance ids, interface names and
// stable MAC addresses. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/host/host.h"

namespace jaild::engine {

std::string base36(std::int64_t value);

// A stable, locally administered unicast MAC for VNET interface `index` of
// `jail`: the same jail gets the same MAC on every start (leases, ARP caches).
std::string stable_mac(const std::string& jail, std::size_t index);

// The VNET interfaces of one start: epair ends named "e<i>a_<instance>" (host
// side, on the bridge) and "e<i>b_<instance>" (jail side), at most 15
// characters, never derived from the JID; the MAC from the spec or
// stable_mac(); when the spec names a default router, the bridge gets that
// address (with the interface's prefix) if jaild has to create the bridge.
std::vector<host::resolved_interface> resolve_interfaces(const model::jail_spec& spec,
                                                         const std::string& instance);

}  // namespace jaild::engine
