// Addresses a jail's own clients configure: "ip4": ["dhcp"] (its DHCP client)
// and "ip6": ["slaac"] (stateless autoconfiguration from router
// advertisements) on a VNET interface. jaild sets no address of that family on
// such an interface and no default route, lets the jail do what its client
// needs (bpf on FreeBSD; on Linux a VNET jail already has NET_RAW and
// NET_ADMIN in its own namespace, and accept_ra for slaac), and reports what
// the jail obtained in its status. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/model/jail_spec.h"

namespace jaild::model {

inline constexpr std::string_view dhcp_keyword = "dhcp";
inline constexpr std::string_view slaac_keyword = "slaac";

// The interface's IPv4 address comes from the jail's DHCP client.
bool uses_dhcp(const vnet_interface& itf);
// The interface's IPv6 addresses come from router advertisements.
bool uses_slaac(const vnet_interface& itf);
// Either of the two.
bool has_dynamic_address(const jail_spec& spec);

// The addresses jaild itself configures: the list without the keywords.
std::vector<std::string> static_addresses(const std::vector<std::string>& list);

// "" when the interface's ip4/ip6 lists use the keywords as they may be used
// (alone in their list, without a default router of that family, which the
// DHCP server or the router advertisement gives); else the sentence, and
// *field the offending member ("ip4", "ip6/1", "defaultrouter").
std::string check_dynamic(const vnet_interface& itf, std::string* field);

}  // namespace jaild::model
