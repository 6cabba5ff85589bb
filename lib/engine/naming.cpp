#include "lib/engine/naming.h"

#include <fmt/format.h>

#include "lib/host/interface_names.h"
#include "lib/model/address.h"
#include "lib/model/dynamic_address.h"
#include "lib/model/error.h"
#include "lib/model/network.h"

namespace jaild::engine {

std::string base36(std::int64_t value) {
  static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  auto u = static_cast<std::uint64_t>(value);
  do {
    out.insert(out.begin(), digits[u % 36]);
    u /= 36;
  } while (u);
  return out;
}

std::string stable_mac(const std::string& jail, std::size_t index) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : jail + "/" + std::to_string(index)) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return fmt::format("02:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (h >> 32) & 0xff, (h >> 24) & 0xff,
                     (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
}

std::vector<host::resolved_interface> resolve_interfaces(
    const model::jail_spec& spec, const std::string& instance,
    const std::vector<network_binding>& bindings) {
  std::vector<host::resolved_interface> out;
  if (!spec.vnet) return out;
  const auto& list = spec.vnet->interfaces;
  if (list.size() > 10)
    throw error(errc::invalid_value, "a jail can have at most 10 VNET interfaces", "/vnet");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& itf = list[i];
    host::resolved_interface r;
    auto names = host::vnet_interface_names(instance, i);
    r.host_end = std::move(names.host_end);
    r.jail_end = std::move(names.jail_end);
    const network_binding none;
    const auto& b = i < bindings.size() ? bindings[i] : none;
    r.bridge = b.bridge.empty() ? itf.bridge : b.bridge;
    if (r.bridge.empty())
      throw error(errc::network_not_found,
                  fmt::format("VNET interface {} names network '{}', which does not exist", i,
                              itf.network),
                  fmt::format("/vnet/interfaces/{}/network", i));
    r.ip4 = itf.ip4.empty() ? b.ip4 : itf.ip4;
    r.ip6 = itf.ip6.empty() ? b.ip6 : itf.ip6;
    r.defaultrouter = itf.defaultrouter.empty() ? b.gateway4 : itf.defaultrouter;
    r.defaultrouter6 = itf.defaultrouter6.empty() ? b.gateway6 : itf.defaultrouter6;
    // The jail's own clients configure these families (model/dynamic_address.h).
    if (model::uses_dhcp(itf)) {
      r.dhcp4 = true;
      if (b.dhcp && !b.ip4.empty()) r.lease4 = b.ip4.front();
      r.ip4.clear();
      r.defaultrouter.clear();
    }
    if (model::uses_slaac(itf)) {
      r.slaac6 = true;
      r.ip6.clear();
      r.defaultrouter6.clear();
    }
    r.mac = itf.mac.empty() ? stable_mac(spec.name, i) : itf.mac;
    r.nat = b.nat;
    r.vlan = itf.vlan;
    r.subnet4 = b.subnet4;
    if (r.subnet4.empty() && !r.ip4.empty())
      if (auto a = model::parse_jail_address(r.ip4.front(), false, nullptr); a && a->prefix_len >= 0)
        r.subnet4 = model::subnet_of(a->addr, a->prefix_len, false);
    if (!b.bridge_ip6.empty()) {
      r.bridge_ip6 = b.bridge_ip6;
    } else if (!itf.defaultrouter6.empty() && !itf.ip6.empty()) {
      if (auto a = model::parse_jail_address(itf.ip6.front(), true, nullptr); a && a->prefix_len >= 0)
        r.bridge_ip6.push_back(fmt::format("{}/{}", itf.defaultrouter6, a->prefix_len));
    }
    if (!b.bridge_ip4.empty()) {
      r.bridge_ip4 = b.bridge_ip4;
    } else if (!itf.defaultrouter.empty() && !itf.ip4.empty()) {
      if (auto a = model::parse_jail_address(itf.ip4.front(), false, nullptr); a && a->prefix_len >= 0)
        r.bridge_ip4.push_back(fmt::format("{}/{}", itf.defaultrouter, a->prefix_len));
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace jaild::engine
