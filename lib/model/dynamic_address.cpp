#include "lib/model/dynamic_address.h"

#include <fmt/format.h>

namespace jaild::model {

bool uses_dhcp(const vnet_interface& itf) {
  return itf.ip4.size() == 1 && itf.ip4.front() == dhcp_keyword;
}

bool uses_slaac(const vnet_interface& itf) {
  return itf.ip6.size() == 1 && itf.ip6.front() == slaac_keyword;
}

bool has_dynamic_address(const jail_spec& spec) {
  if (!spec.vnet) return false;
  for (const auto& itf : spec.vnet->interfaces)
    if (uses_dhcp(itf) || uses_slaac(itf)) return true;
  return false;
}

std::vector<std::string> static_addresses(const std::vector<std::string>& list) {
  std::vector<std::string> out;
  for (const auto& a : list)
    if (a != dhcp_keyword && a != slaac_keyword) out.push_back(a);
  return out;
}

std::string check_dynamic(const vnet_interface& itf, std::string* field) {
  struct family {
    const std::vector<std::string>& list;
    std::string_view keyword, other, key, router_key;
    const std::string& router;
    const char* client;
  };
  for (const auto& f :
       {family{itf.ip4, dhcp_keyword, slaac_keyword, "ip4", "defaultrouter", itf.defaultrouter,
               "the jail's DHCP client sets the interface's IPv4 address and route"},
        family{itf.ip6, slaac_keyword, dhcp_keyword, "ip6", "defaultrouter6", itf.defaultrouter6,
               "the jail forms its IPv6 addresses and route from router advertisements"}}) {
    for (std::size_t k = 0; k < f.list.size(); ++k) {
      const auto at = fmt::format("{}/{}", f.key, k);
      if (f.list[k] == f.other) {
        if (field) *field = at;
        return fmt::format("'{}' is not a keyword of {} (use '{}' there, or '{}' in {})", f.other,
                           f.key, f.keyword, f.other, f.key == "ip4" ? "ip6" : "ip4");
      }
      if (f.list[k] != f.keyword) continue;
      if (f.list.size() != 1) {
        if (field) *field = at;
        return fmt::format("'{}' stands alone in {}: {}", f.keyword, f.key, f.client);
      }
      if (!f.router.empty()) {
        if (field) *field = std::string(f.router_key);
        return fmt::format("{} with '{}' in {}: {}", f.router_key, f.keyword, f.key, f.client);
      }
    }
  }
  return {};
}

}  // namespace jaild::model
