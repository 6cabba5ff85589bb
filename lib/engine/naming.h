// Names jaild gives to what it creates: instance ids, interface names and
// stable MAC addresses. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/host/host.h"

namespace jaild::engine {

std::string base36(std::int64_t value);

// A stable, locally administered unicast MAC for VNET interface `index` of
// `jail`: the same jail gets the same MAC on every start (leases, ARP caches).
std::string stable_mac(const std::string& jail, std::size_t index);

// What a managed network gives one interface: its bridge, leased addresses
// ("10.0.0.5/24") and gateways. Empty for an interface on a plain bridge.
struct network_binding {
  std::string bridge;
  std::vector<std::string> ip4, ip6;
  std::string gateway4, gateway6;
  std::vector<std::string> bridge_ip4;  // the gateway with its prefix
  std::vector<std::string> bridge_ip6;
  std::optional<std::string> nat;       // the network's nat (network_spec::nat)
  std::string subnet4;                  // the network's IPv4 subnet
  bool dhcp = false;                    // the network serves DHCP (its ip4 lease is handed out)
};

// The VNET interfaces of one start: epair ends named by
// host::vnet_interface_names ("e<i>a_<instance>" on the host side, on the
// bridge; "e<i>b_<instance>" on the jail side; at most 15 characters; never
// derived from the JID; the instance begins with this jaild's tag, so two
// jailds on one host never pick the same names); the MAC from the spec or
// stable_mac(); when the spec names a default router, the bridge gets that
// address (with the interface's prefix) if jaild has to create the bridge.
// `bindings[i]` (when present) supplies what interface i's network gives.
std::vector<host::resolved_interface> resolve_interfaces(
    const model::jail_spec& spec, const std::string& instance,
    const std::vector<network_binding>& bindings = {});

}  // namespace jaild::engine
