// Managed networks and address leases (IPAM). An interface that names a
// network gets the first free address of its subnet when its spec is
// written; the lease is kept across restarts (the jail keeps its address)
// and released when the jail or the interface goes. Two jails never get the
// same address on one bridge: static addresses, leases and gateways are all
// checked against each other.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <set>
#include <tuple>

#include "lib/engine/engine.h"
#include "lib/engine/naming.h"
#include "lib/engine/runtime.h"
#include "lib/model/address.h"
#include "lib/model/dynamic_address.h"
#include "lib/model/error.h"

namespace jaild::engine {
namespace {

std::string strip_prefix(const std::string& a) { return a.substr(0, a.find('/')); }

std::string prefix_of(const std::string& subnet) { return subnet.substr(subnet.find('/')); }

// "ip4": ["dhcp"] on a managed network needs the network's own server: no
// other answers on a bridge jaild made, and IPAM's lease is what it hands out.
// The server is on the bridge itself, which a port on a VLAN cannot reach.
void check_dynamic_on(const model::vnet_interface& itf, std::size_t i,
                      const model::network_spec& net) {
  if (!model::uses_dhcp(itf)) return;
  if (!net.dhcp)
    throw error(errc::invalid_value,
                fmt::format("network '{}' does not serve DHCP: make it with \"dhcp\": true, or "
                            "give the interface a bridge whose DHCP server is elsewhere",
                            net.name),
                fmt::format("/vnet/interfaces/{}/ip4/0", i));
  if (itf.vlan)
    throw error(errc::invalid_value,
                fmt::format("network '{}' serves DHCP from its bridge, which is on no VLAN: an "
                            "interface on VLAN {} cannot reach it",
                            net.name, *itf.vlan),
                fmt::format("/vnet/interfaces/{}/vlan", i));
}

}  // namespace

model::network_spec engine::create_network(const model::network_spec& net) {
  guard write_lock(write_mutex_);
  {
    guard lock(networks_mutex_);
    if (networks_.count(net.name))
      throw error(errc::network_exists, fmt::format("a network named '{}' exists", net.name),
                  "/name");
    for (const auto& [name, other] : networks_)
      if (other.bridge == net.bridge)
        throw error(errc::address_conflict,
                    fmt::format("bridge {} already belongs to network '{}'", net.bridge, name),
                    "/bridge");
    // Two managed networks sharing addresses would hand out the same
    // address (and gateway) on two bridges.
    for (const auto& [name, other] : networks_)
      for (const auto& [mine, theirs, v6, field] :
           {std::tuple{net.ip4, other.ip4, false, "/ip4"},
            std::tuple{net.ip6, other.ip6, true, "/ip6"}}) {
        if (mine.empty() || theirs.empty()) continue;
        const auto a = model::parse_subnet(mine, v6, nullptr);
        const auto b = model::parse_subnet(theirs, v6, nullptr);
        if (a && b && a->overlaps(*b))
          throw error(errc::address_conflict,
                      fmt::format("{} overlaps {} of network '{}'", mine, theirs, name), field);
      }
  }
  model::event ev;
  ev.type = "network.created";
  ev.data = model::network_to_json(net);
  events_.stored([&] { return store_.save_network(net.name, model::network_to_json(net), ev); });
  guard lock(networks_mutex_);
  networks_[net.name] = net;
  return net;
}

void engine::delete_network(const std::string& name) {
  guard write_lock(write_mutex_);
  if (!find_network(name))
    throw error(errc::network_not_found, fmt::format("no network named '{}'", name));
  std::vector<std::string> users;
  for (const auto& [jail, entry] : current()->jails())
    if (entry->spec.vnet)
      for (const auto& itf : entry->spec.vnet->interfaces)
        if (itf.network == name) {
          users.push_back(jail);
          break;
        }
  if (!users.empty()) {
    std::string list;
    for (const auto& u : users) list += (list.empty() ? "" : ", ") + u;
    throw error(errc::address_conflict,
                fmt::format("network '{}' is used by {}; change or delete those jails first",
                            name, list));
  }
  model::event ev;
  ev.type = "network.deleted";
  ev.data = {{"name", name}};
  events_.stored([&] { return store_.delete_network(name, ev); });
  guard lock(networks_mutex_);
  networks_.erase(name);
}

std::vector<model::network_spec> engine::networks() const {
  guard lock(networks_mutex_);
  std::vector<model::network_spec> out;
  for (const auto& [name, n] : networks_) out.push_back(n);
  return out;
}

std::optional<model::network_spec> engine::find_network(const std::string& name) const {
  guard lock(networks_mutex_);
  auto it = networks_.find(name);
  if (it == networks_.end()) return std::nullopt;
  return it->second;
}

std::vector<store::lease_row> engine::leases(const std::string& network) {
  return store_.leases(network);
}

std::map<std::string, std::vector<store::lease_row>> engine::plan_leases(
    const std::map<std::string, model::jail_spec>& next,
    const std::vector<store::store::jail_change>& changes) {
  std::map<std::string, model::network_spec> nets;
  {
    guard lock(networks_mutex_);
    nets = networks_;
  }
  std::set<std::string> touched;
  for (const auto& c : changes) touched.insert(c.spec.name);

  // Who holds what, per bridge: gateways, static addresses, and the leases of
  // jails this change does not touch.
  std::map<std::string, std::map<std::string, std::string>> held;  // bridge -> addr -> holder
  auto hold = [&](const std::string& bridge, const std::string& addr, const std::string& holder,
                  const std::string& field) {
    auto [it, fresh] = held[bridge].emplace(addr, holder);
    if (!fresh && it->second != holder)
      throw error(errc::address_conflict,
                  fmt::format("{} on {} is already {}", addr, bridge, it->second), field);
  };
  for (const auto& [name, n] : nets) {
    if (!n.gateway4.empty()) hold(n.bridge, n.gateway4, "the gateway of network " + name, "");
    if (!n.gateway6.empty()) hold(n.bridge, n.gateway6, "the gateway of network " + name, "");
  }
  auto existing = store_.leases();
  for (const auto& l : existing) {
    if (touched.count(l.jail) || !next.count(l.jail)) continue;
    if (auto n = nets.find(l.network); n != nets.end())
      hold(n->second.bridge, l.address, "leased to " + l.jail, "");
  }
  // Static addresses of every jail (a change may collide with an untouched jail).
  for (const auto& [name, spec] : next) {
    if (!spec.vnet) continue;
    for (std::size_t i = 0; i < spec.vnet->interfaces.size(); ++i) {
      const auto& itf = spec.vnet->interfaces[i];
      std::string bridge = itf.bridge;
      if (!itf.network.empty()) {
        auto n = nets.find(itf.network);
        if (n == nets.end()) {
          if (touched.count(name))
            throw error(errc::network_not_found,
                        fmt::format("no network named '{}'", itf.network),
                        fmt::format("/vnet/interfaces/{}/network", i));
          continue;
        }
        if (!itf.bridge.empty() && itf.bridge != n->second.bridge && touched.count(name))
          throw error(errc::invalid_value,
                      fmt::format("interface {} names bridge {} and network '{}', whose bridge "
                                  "is {}; give one of them",
                                  i, itf.bridge, itf.network, n->second.bridge),
                      fmt::format("/vnet/interfaces/{}/bridge", i));
        bridge = n->second.bridge;
        if (touched.count(name)) check_dynamic_on(itf, i, n->second);
        for (const auto* list : {&itf.ip4, &itf.ip6}) {
          for (const auto& a : model::static_addresses(*list)) {
            auto sub = model::parse_subnet(list == &itf.ip4 ? n->second.ip4 : n->second.ip6,
                                           list == &itf.ip6, nullptr);
            if (touched.count(name) && (!sub || !sub->contains(strip_prefix(a))))
              throw error(errc::invalid_value,
                          fmt::format("{} is not in network '{}' ({})", a, itf.network,
                                      list == &itf.ip4 ? n->second.ip4 : n->second.ip6),
                          fmt::format("/vnet/interfaces/{}/{}", i, list == &itf.ip4 ? "ip4" : "ip6"));
          }
        }
      }
      for (const auto* list : {&itf.ip4, &itf.ip6})
        for (const auto& a : model::static_addresses(*list))
          hold(bridge, strip_prefix(a), "jail " + name + "'s address",
               fmt::format("/vnet/interfaces/{}/{}", i, list == &itf.ip4 ? "ip4" : "ip6"));
    }
  }

  // Leases for the touched jails: keep the one they had when it still fits,
  // otherwise the first free address.
  std::map<std::string, std::vector<store::lease_row>> out;
  for (const auto& name : touched) {
    auto& rows = out[name];
    auto spec_it = next.find(name);
    if (spec_it == next.end() || !spec_it->second.vnet) continue;  // removed, or no VNET
    const auto& itfs = spec_it->second.vnet->interfaces;
    for (std::size_t i = 0; i < itfs.size(); ++i) {
      const auto& itf = itfs[i];
      if (itf.network.empty()) continue;
      const auto& net = nets.at(itf.network);
      for (int family : {4, 6}) {
        const std::string& sub_text = family == 4 ? net.ip4 : net.ip6;
        // A DHCP interface leases what the network's server hands out; a SLAAC
        // one forms its IPv6 addresses itself and leases none.
        const auto statics = model::static_addresses(family == 4 ? itf.ip4 : itf.ip6);
        if (sub_text.empty() || !statics.empty() || (family == 6 && model::uses_slaac(itf)))
          continue;
        auto sub = model::parse_subnet(sub_text, family == 6, nullptr);
        std::string chosen;
        for (const auto& l : existing)
          if (l.jail == name && l.interface == static_cast<int>(i) && l.family == family &&
              l.network == itf.network && !held[net.bridge].count(l.address))
            chosen = l.address;
        const std::uint64_t last = family == 4 ? sub->size() - 1 : sub->size();
        for (std::uint64_t k = 1; chosen.empty() && k < last; ++k) {
          auto a = sub->address(k);
          if (a && !held[net.bridge].count(*a)) chosen = *a;
        }
        if (chosen.empty())
          throw error(errc::address_conflict,
                      fmt::format("network '{}' has no free IPv{} address left in {}",
                                  itf.network, family, sub_text),
                      fmt::format("/vnet/interfaces/{}/network", i));
        hold(net.bridge, chosen, "leased to " + name, "");
        rows.push_back({itf.network, chosen, name, static_cast<int>(i), family, 0});
      }
    }
  }
  return out;
}

void engine::repair_leases(const snapshot::map& jails) {
  std::set<std::tuple<std::string, int, int>> held;  // jail, interface, family
  for (const auto& l : store_.leases()) held.emplace(l.jail, l.interface, l.family);
  std::map<std::string, model::jail_spec> next;
  std::vector<store::store::jail_change> unleased;
  for (const auto& [name, entry] : jails) {
    next[name] = entry->spec;
    if (!entry->spec.vnet) continue;
    bool missing = false;
    const auto& itfs = entry->spec.vnet->interfaces;
    for (std::size_t i = 0; i < itfs.size(); ++i) {
      const auto net = itfs[i].network.empty() ? std::nullopt : find_network(itfs[i].network);
      if (!net) continue;
      const int index = static_cast<int>(i);
      const bool wants4 = model::static_addresses(itfs[i].ip4).empty() &&
                          (!model::uses_dhcp(itfs[i]) || net->dhcp);
      const bool wants6 = itfs[i].ip6.empty();
      missing = missing || (!net->ip4.empty() && wants4 && !held.count({name, index, 4})) ||
                (!net->ip6.empty() && wants6 && !held.count({name, index, 6}));
    }
    if (missing)
      unleased.push_back({store::store::jail_change::kind::replace, entry->spec, model::event{}});
  }
  if (unleased.empty()) return;
  try {
    for (const auto& [jail, rows] : plan_leases(next, unleased)) {
      store_.set_leases(jail, rows);
      spdlog::warn("jail '{}' had no lease on its network; it has one now", jail);
    }
  } catch (const error& e) {
    spdlog::error("leases for jails that had none: {}", e.what());
  }
}

std::vector<host::resolved_interface> engine::interfaces_for(const model::jail_spec& spec,
                                                             const std::string& instance) {
  std::vector<network_binding> bindings;
  if (spec.vnet) {
    auto leased = store_.leases();
    for (std::size_t i = 0; i < spec.vnet->interfaces.size(); ++i) {
      network_binding b;
      const auto& itf = spec.vnet->interfaces[i];
      if (auto net = itf.network.empty() ? std::nullopt : find_network(itf.network)) {
        b.bridge = net->bridge;
        b.gateway4 = net->gateway4;
        b.gateway6 = net->gateway6;
        b.nat = net->nat;
        b.subnet4 = net->ip4;
        b.dhcp = net->dhcp;
        if (!net->gateway4.empty()) b.bridge_ip4.push_back(net->gateway4 + prefix_of(net->ip4));
        if (!net->gateway6.empty()) b.bridge_ip6.push_back(net->gateway6 + prefix_of(net->ip6));
        for (const auto& l : leased) {
          if (l.jail != spec.name || l.interface != static_cast<int>(i)) continue;
          if (l.family == 4) b.ip4.push_back(l.address + prefix_of(net->ip4));
          if (l.family == 6) b.ip6.push_back(l.address + prefix_of(net->ip6));
        }
      }
      bindings.push_back(std::move(b));
    }
  }
  return resolve_interfaces(spec, instance, bindings);
}

}  // namespace jaild::engine
