// What a jail's packet filter rules say, from its context, for both
// platforms: the masquerade of its addresses on networks with nat, where its
// published ports go, and the segments (bridge and subnet) from which other
// jails reach those ports through a host address (hairpin). The Linux adapter
// writes it as an nftables table (linux/nft_rules.h), the FreeBSD adapter as
// a pf anchor (freebsd/pf_rules.h). Pure.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "lib/host/host.h"
#include "lib/model/port.h"

namespace jaild::host {

struct jail_firewall {
  struct masquerade {
    std::string source;              // the jail's IPv4 address
    std::string uplink;              // the interface it leaves by
    bool operator==(const masquerade&) const = default;
  };
  std::vector<masquerade> nat;
  // Where published ports go: the jail's first IPv4 / IPv6 address ("" when none).
  std::string address4, address6;
  std::vector<model::published_port> ports;
  // The segments of the jail's own interfaces: another jail there that
  // reaches a published port through a host address is masqueraded, so that
  // the answer comes back through the host.
  struct segment {
    std::string bridge;              // "bridge0"
    std::string subnet;              // "10.0.0.0/24", "fd00:1::/64"
    bool v6 = false;
    bool operator==(const segment&) const = default;
  };
  std::vector<segment> segments;
  // The jail has its own network stack (VNET): its traffic is forwarded.
  bool forwarded = false;

  bool empty() const { return nat.empty() && ports.empty(); }
  // Whether IPv4 / IPv6 packets are forwarded to or from the jail.
  bool needs_forwarding4() const;
  bool needs_forwarding6() const;
};

// The rules of a jail. `default_uplink` is asked (once) for the interface of
// the default route when a network's nat names none; it returns "" when
// there is none, and then this throws prerequisite_missing. A port that
// cannot be parsed throws invalid_value ("/ports/I").
jail_firewall firewall_of(const jail_context& ctx,
                          const std::function<std::string()>& default_uplink);

}  // namespace jaild::host
