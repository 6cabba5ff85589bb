// iocage's per-jail config.json (iocage/lib/ioc_json.py), read into a jaild
// spec for POST /v1/jails/import: the properties with a jaild field are
// mapped, the rest are left out (with a warning for those that matter to the
// jail's network or devices). Seed 000's DHCP jail is the model:
//
//   iocage                                 jaild
//   host_hostuuid / host_hostname          name / hostname
//   vnet=on, interfaces="vnet0:bridge0"    vnet.interfaces[0].bridge = bridge0
//   ip4_addr="vnet0|10.0.0.5/24"           interfaces[0].ip4 = ["10.0.0.5/24"]
//   ip4_addr="vnet0|DHCP", or dhcp=on      interfaces[0].ip4 = ["dhcp"]
//   ip6_addr="vnet0|ACCEPT_RTADV"          interfaces[0].ip6 = ["slaac"]
//   defaultrouter, defaultrouter6          the first interface's routers ("auto"/"none": none)
//   ip4_addr="em0|10.0.0.5/24" (no vnet)   ip4 = ["em0|10.0.0.5/24"]
//   bpf=yes                                implied by DHCP (jaild's own devfs ruleset)
//   boot, priority, depends                boot, priority, depend
//   exec_start, exec_stop, ...             exec.start, exec.stop, ...
//   allow_*                                params allow.*
//   mount_devfs, devfs_ruleset             mount.devfs, mount.devfs_ruleset
//
// iocage writes the jail's rc.conf itself (ifconfig_epair0b="SYNCDHCP" for
// dhcp=on); under jaild the interface is e0b_<id>, so the jail's rc.conf says
// ifconfig_DEFAULT="SYNCDHCP" instead (a warning says so). The root is the
// config's directory's "root" (iocage's layout), so the file name is needed.
// Pure.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/jailconf/spec_mapping.h"

namespace jaild::jailconf {

// An object with iocage's marks: host_hostuuid and CONFIG_VERSION.
bool is_iocage_config(const nlohmann::json& doc);

// The jail of one config.json at `file` (its absolute path). Throws
// jaild::error: invalid_value for a property jaild cannot take (the field is
// "/PROPERTY"), missing_field without host_hostuuid or a file name, and the
// validator's errors for the spec it makes.
imported_jail iocage_to_spec(const nlohmann::json& config, const std::string& file);

}  // namespace jaild::jailconf
