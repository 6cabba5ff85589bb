#include "lib/host/firewall.h"

#include <fmt/format.h>

#include "lib/model/address.h"
#include "lib/model/error.h"
#include "lib/model/network.h"

namespace jaild::host {
namespace {

std::string without_prefix(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

}  // namespace

bool jail_firewall::needs_forwarding4() const {
  if (!forwarded) return false;
  if (!nat.empty()) return true;
  for (const auto& p : ports)
    if (p.on_v4() && !address4.empty()) return true;
  return false;
}

bool jail_firewall::needs_forwarding6() const {
  if (!forwarded) return false;
  for (const auto& p : ports)
    if (p.on_v6() && !address6.empty()) return true;
  return false;
}

jail_firewall firewall_of(const jail_context& ctx,
                          const std::function<std::string()>& default_uplink) {
  jail_firewall fw;
  fw.forwarded = ctx.spec.vnet.has_value();
  std::string found_uplink;
  for (const auto& i : ctx.interfaces) {
    // A DHCP interface's address is the lease jaild's server hands out, when
    // its network serves DHCP; one from a server elsewhere is not known.
    const auto ip4 = i.ip4.empty() && !i.lease4.empty() ? std::vector<std::string>{i.lease4} : i.ip4;
    if (fw.address4.empty() && !ip4.empty()) fw.address4 = without_prefix(ip4.front());
    if (fw.address6.empty() && !i.ip6.empty()) fw.address6 = without_prefix(i.ip6.front());
    if (!i.subnet4.empty()) fw.segments.push_back({i.bridge, i.subnet4, false});
    for (const auto& a : i.ip6)
      if (auto p = model::parse_jail_address(a, true, nullptr); p && p->prefix_len >= 0)
        fw.segments.push_back({i.bridge, model::subnet_of(p->addr, p->prefix_len, true), true});
    if (!i.nat) continue;
    std::string uplink = *i.nat;
    if (uplink.empty()) {
      if (found_uplink.empty()) found_uplink = default_uplink();
      if (found_uplink.empty())
        throw error(errc::prerequisite_missing,
                    "the network of " + i.host_end +
                        " has nat through the default route, and this host has no IPv4 "
                        "default route; name the uplink ({\"uplink\": \"IF\"})");
      uplink = found_uplink;
    }
    for (const auto& a : ip4) fw.nat.push_back({without_prefix(a), uplink});
  }
  // A shared-IP jail's ports go to its own address on the host.
  for (const auto* list : {&ctx.spec.ip4, &ctx.spec.ip6}) {
    auto& target = list == &ctx.spec.ip4 ? fw.address4 : fw.address6;
    if (!target.empty() || list->empty()) continue;
    if (auto p = model::parse_jail_address(list->front(), list == &ctx.spec.ip6, nullptr))
      target = p->addr;
  }
  for (std::size_t k = 0; k < ctx.spec.ports.size(); ++k) {
    std::string why;
    auto p = model::parse_port(ctx.spec.ports[k], &why);
    if (!p) throw error(errc::invalid_value, why, fmt::format("/ports/{}", k));
    fw.ports.push_back(*p);
  }
  return fw;
}

}  // namespace jaild::host
