// How much of the host a jail shares, decided from its spec (pure functions):
// whether it gets a network namespace of its own, and which capabilities its
// root loses, so that jail root is about as strong as FreeBSD's jail root.
#pragma once

#include <cstdint>
#include <vector>

#include "lib/model/jail_spec.h"

namespace jaild::host::linux_host {

// VNET jails get their own network stack. A shared-IP jail (ip4/ip6, or
// ip4 = "inherit") uses the host's, as on FreeBSD. A jail with neither gets an
// empty one with only loopback (FreeBSD's ip4 = "disable").
bool needs_own_netns(const model::jail_spec& spec);

// Capabilities removed from the bounding set of every process of the jail
// (bit N = capability N). Always: module loading, raw I/O, mknod, clock,
// reboot, accounting, audit, MAC, syslog, BPF, perf, open_by_handle
// (CAP_DAC_READ_SEARCH), rlimits (CAP_SYS_RESOURCE). CAP_SYS_ADMIN unless
// allow.mount; CAP_NET_ADMIN unless the jail has its own network stack;
// CAP_NET_RAW unless it has its own stack or allow.raw_sockets.
std::uint64_t dropped_capabilities(const model::jail_spec& spec);

// The capability numbers set in a mask, up to `last` (cap_last_cap).
std::vector<int> capability_list(std::uint64_t mask, int last);

}  // namespace jaild::host::linux_host
