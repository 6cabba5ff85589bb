// A managed network: a bridge with IPv4 and/or IPv6 subnets and gateways,
// from which VNET interfaces that name the network lease their addresses
// (DESIGN.md section 2, `network` for IPAM).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace jaild::model {

struct network_spec {
  std::string name;
  std::string bridge;       // host bridge (created when the first jail starts)
  std::string ip4;          // subnet "10.0.0.0/24", or ""
  std::string gateway4;     // the bridge's address and the jails' default router
  std::string ip6;          // subnet "2001:db8:1::/64", or ""
  std::string gateway6;
  std::string description;
  // Egress masquerade of the network's jails (IPv4): nullopt = none; "" = out
  // of the interface of the host's default route (JSON true); "IF" = out of
  // that uplink (JSON {"uplink": "IF"} or "IF").
  std::optional<std::string> nat;
  // jaild answers DHCP on the bridge (IPv4), from the host side: an interface
  // with "ip4": ["dhcp"] on this network gets its IPAM lease from the jail's
  // own client (lib/host/dhcp.h).
  bool dhcp = false;

  bool operator==(const network_spec&) const = default;
};

// Strict JSON decoding (unknown fields refused; each field validated; the
// gateway must lie inside its subnet and not be its network or broadcast
// address). A missing gateway defaults to the subnet's first host address.
network_spec network_from_json(const nlohmann::json& j);
nlohmann::json network_to_json(const network_spec& n);

// An IPv4 or IPv6 subnet as numbers, for allocation.
struct subnet {
  bool v6 = false;
  unsigned prefix = 0;
  unsigned char base[16] = {};  // network address (host bits zero)

  // The n-th address of the subnet (0 = the network address), or nullopt past its end.
  std::optional<std::string> address(std::uint64_t n) const;
  // How many addresses the subnet holds (capped at 2^32).
  std::uint64_t size() const;
  bool contains(const std::string& addr) const;
  // Whether the two share an address (one holds the other's network address).
  bool overlaps(const subnet& other) const;
};

// The subnet an address lies in, "10.0.0.0/24" for ("10.0.0.7", 24); "" when
// `addr` is not an address of the family or `prefix` is out of range.
std::string subnet_of(const std::string& addr, int prefix, bool v6);

// Parses "10.0.0.0/24"; nullopt and *problem when it is not a subnet (host bits set, bad prefix).
std::optional<subnet> parse_subnet(const std::string& text, bool v6, std::string* problem);

}  // namespace jaild::model
