// The jail's own rc.conf(5), as the seeds' VNET jails configure their
// interface inside: ifconfig_epair0b="SYNCDHCP" (or "DHCP") is DHCP, and
// ifconfig_epair0b_ipv6="inet6 accept_rtadv" is SLAAC. An import of a
// jail.conf (POST /v1/jails/import) reads PATH/etc/rc.conf of each VNET jail
// whose interfaces it lifted from epair hooks, never following a link below
// the jail's path (host/posix/open_below.h), and gives an interface that
// rc.conf configures so, and for which the hooks gave no address of that
// family, "ip4": ["dhcp"] or "ip6": ["slaac"]. The jail's rc.conf keeps
// configuring it only if it names no interface: jaild names it e0b_<id>, so a
// warning says to write ifconfig_DEFAULT. Pure.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lib/jailconf/spec_mapping.h"

namespace jaild::jailconf {

struct rc_addressing {
  bool dhcp = false;   // ifconfig_IF has DHCP or SYNCDHCP
  bool slaac = false;  // ifconfig_IF_ipv6 has inet6 and accept_rtadv
};

// By interface name (as rc.conf writes it; "DEFAULT" for ifconfig_DEFAULT).
// Lines are sh(1) assignments: NAME=VALUE, NAME="VALUE" or NAME='VALUE',
// comments and anything else skipped; the last assignment of a name wins.
std::map<std::string, rc_addressing> rc_conf_addressing(std::string_view text);

// Gives j's lifted interfaces (j.vnet_names) what `rc_text` says, as above,
// with a warning naming `rc_path` for each; DEFAULT applies to interfaces
// rc.conf does not name. Leaves j as it was when nothing applies.
void apply_rc_conf(imported_jail& j, std::string_view rc_text, const std::string& rc_path);

}  // namespace jaild::jailconf
