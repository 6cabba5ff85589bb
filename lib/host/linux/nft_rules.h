// The nftables rules of one jail (egress NAT and published ports) as the
// JSON document that `nft -j -f -` reads, and the parsing of what nft and
// /proc tell back. Pure functions, tested with golden documents
// (tests/unit/host_linux/nft_rules_test.cpp); adapter_firewall.cpp runs them.
//
// Every running jail with NAT or ports has a table of its own, `inet
// jaild_<instance>`: <instance> is the jail's start instance, which begins
// with this jaild's tag (store::instance_tag, the one its cgroups and
// bridges carry), so two jailds on one host never share a name. One document adds the table, flushes it and fills it, so nft
// applies a change in one transaction; deleting the table removes all of it.
// jaild never lists, flushes or deletes a table whose name is not its own.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/host/firewall.h"

namespace jaild::host::linux_host {

// "jaild_<instance>" (the instance begins with the jaild's tag).
std::string firewall_table(const std::string& instance);
// The prefix of every table of the jaild tagged `instance_tag`:
// "jaild_<tag>" (tags have one length, so no tag is another's prefix).
// An empty tag (a jaild before tags existed) gives "jaild_".
std::string firewall_table_prefix(const std::string& instance_tag);

// The `nft -j -f -` document that makes (or replaces) the jail's table
// `table` (firewall_table()). Throws jaild::error(invalid_value, "/ports/I")
// for a port of a family the jail has no address of.
nlohmann::json firewall_commands(const std::string& table, const jail_firewall& fw);
// VLANs (model::vnet_interface::vlan). This kernel, like many, has no
// 802.1Q module and no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING),
// so jaild keeps the ports of a VLAN among themselves with the bridge's
// netfilter hooks: each VLAN port carries its VLAN as its interface group
// (`ip link set PORT group N`), and the jail's table `bridge
// jaild_<instance>` lets a frame from or to the port pass only between
// ports of the same group; the bridge itself (its address, the host) is on
// no VLAN, as the bridge's own port is on the default VLAN only where the
// kernel filters.
struct vlan_port {
  std::string port;  // the host end on the bridge
  int vlan = 0;
};
// The `nft -j -f -` document that makes (or replaces) the bridge table.
nlohmann::json vlan_commands(const std::string& table, const std::vector<vlan_port>& ports);
// The document that deletes one table of `family` ("inet", "bridge").
nlohmann::json delete_table_command(const std::string& table, const std::string& family = "inet");
// The tables of `family` in `nft -j list tables` output whose name starts
// with `prefix`; throws std::invalid_argument when the text is not nft's JSON.
std::vector<std::string> tables_of(const std::string& nft_json, const std::string& prefix,
                                   const std::string& family = "inet");
// The interface of the IPv4 default route in /proc/net/route text ("" when none).
std::string default_route_interface(const std::string& proc_net_route);

// Whether an `nft` executable is in the PATH jaild runs it with.
bool nft_available();
// The PATH jaild runs nft with.
inline constexpr const char* nft_path = "/usr/sbin:/usr/bin:/sbin:/bin";

}  // namespace jaild::host::linux_host
