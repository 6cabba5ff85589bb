// Loading socket_policy's programs into the kernel and attaching them to a
// jail's cgroup in the unified (v2) hierarchy, where they hold every inet
// socket of the jail's processes to its addresses. The attachment lives as
// long as the cgroup: it survives jaild, and goes with the directory.
// Thread-safe (no shared state).
#pragma once

#include <string>
#include <vector>

#include "lib/host/linux/socket_policy.h"

namespace jaild::host::linux_host {

// Loads each hook (bpf(BPF_PROG_LOAD)) and attaches it to the cgroup
// directory `cgroup_fd` (BPF_PROG_ATTACH, BPF_F_ALLOW_MULTI). Throws
// std::system_error naming the hook, with the verifier's log when it refused.
void attach_socket_hooks(int cgroup_fd, const std::vector<socket_hook>& hooks);

// Whether this kernel loads the hooks (a trial load, once); *why says what
// is missing when not.
bool socket_hooks_supported(std::string* why);

}  // namespace jaild::host::linux_host
