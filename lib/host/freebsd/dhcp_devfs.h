// What a DHCP jail needs from the host on FreeBSD: dhclient(8) in the jail
// reads and writes the network through bpf(4), which the base system's jail
// rulesets (4, devfsrules_jail; 5, devfsrules_jail_vnet) hide. A jail with an
// "ip4": ["dhcp"] interface and mount.devfs but no devfs_ruleset of its own
// gets a ruleset jaild makes for its start: ruleset 5 and bpf, as iocage
// does for bpf=yes, numbered from its instance, ledgered (devfs_ruleset) and
// deleted with the jail (devfs rule -s N delset). An admin who names a
// devfs_ruleset keeps it: it must unhide bpf itself. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/host/host.h"

namespace jaild::host::freebsd {

inline constexpr const char* devfs_path = "/sbin/devfs";
// The base system's devfsrules_jail_vnet, which the generated one includes.
inline constexpr int vnet_jail_ruleset = 5;

// Whether any VNET interface of the spec takes its IPv4 address by DHCP.
bool needs_bpf(const model::jail_spec& spec);
// The ruleset jaild makes for this start (1000..60999, from the instance, so
// that create_params() and the mount agree without state), or nullopt when
// the jail needs none: no DHCP interface, no devfs, or a ruleset of the admin's.
std::optional<int> generated_devfs_ruleset(const jail_context& ctx);
// `devfs rule showsets`: the set numbers that exist, one a line.
std::vector<int> parse_devfs_showsets(std::string_view output);
std::vector<std::string> devfs_showsets_argv();
// The rules of the generated ruleset, one argv each: include ruleset 5, then
// unhide bpf*.
std::vector<std::vector<std::string>> devfs_bpf_ruleset_argvs(int ruleset);
std::vector<std::string> devfs_delset_argv(int ruleset);

}  // namespace jaild::host::freebsd
