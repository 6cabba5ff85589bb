// VNET interfaces (veth pairs whose host end joins a bridge and whose jail end
// moves into the jail's network namespace), the bridges jaild creates when
// they are missing, and the host aliases of shared-IP jails. All netlink.
#include <system_error>
#include <thread>

#include "lib/host/linux/adapter.h"
#include "lib/host/linux/netlink.h"
#include "lib/model/address.h"
#include "lib/model/error.h"

namespace jaild::host::linux_host {
void linux_adapter::add_aliases(const jail_context& ctx, step_sinks sinks) {
  struct wanted {
    std::string text;
    bool v6;
  };
  std::vector<wanted> all;
  for (const auto& a : ctx.spec.ip4) all.push_back({a, false});
  for (const auto& a : ctx.spec.ip6) all.push_back({a, true});
  if (all.empty()) return;
  rtnl nl;
  for (const auto& w : all) {
    std::string problem;
    auto a = model::parse_jail_address(w.text, w.v6, &problem);
    if (!a) throw error(errc::invalid_value, problem, w.v6 ? "/ip6" : "/ip4");
    const std::string cidr =
        a->addr + "/" + std::to_string(a->prefix_len >= 0 ? a->prefix_len : (w.v6 ? 128 : 32));
    step_timer step(sinks.steps, "alias.add",
                    {"netlink", "address", "add", cidr, "dev", a->iface.empty() ? "-" : a->iface});
    if (a->iface.empty()) {
      // As on FreeBSD: an address without an interface must already be the host's.
      step.ok("no interface named: the address is used as the host has it");
      continue;
    }
    try {
      const int index = nl.ifindex(a->iface);
      if (!index) step.fail(ENODEV, "no interface " + a->iface + " on the host");
      if (nl.has_address(index, cidr, w.v6)) {
        // Not jaild's to remove later: it is not recorded.
        step.ok("already present on " + a->iface + "; left as it is");
        continue;
      }
      sinks.objects.record({object_kind::alias,
                            ctx.spec.name,
                            a->iface + "|" + cidr,
                            {{"iface", a->iface}, {"cidr", cidr}, {"v6", w.v6}}});
      nl.add_address(index, cidr, w.v6);
      step.ok();
    } catch (const netlink_error& e) {
      step.fail(e.code(), e.what());
    }
  }
}

void linux_adapter::destroy_alias(const object& obj, step_sinks sinks) {
  const std::string iface = obj.attrs.value("iface", "");
  const std::string cidr = obj.attrs.value("cidr", "");
  const bool v6 = obj.attrs.value("v6", false);
  step_timer step(sinks.steps, "alias.remove", {"netlink", "address", "del", cidr, "dev", iface});
  try {
    rtnl nl;
    if (const int index = nl.ifindex(iface)) nl.delete_address(index, cidr, v6);
  } catch (const netlink_error& e) {
    step.fail(e.code(), e.what());
  }
  step.ok();
  sinks.objects.forget(obj);
}

std::string bridge_mark_of(std::string_view instance_tag) {
  return instance_tag.empty() ? "jaild" : "jaild:" + std::string(instance_tag);
}

int linux_adapter::ensure_bridge(rtnl& nl, const resolved_interface& i, step_sinks sinks) {
  step_timer step(sinks.steps, "bridge.ensure",
                  {"netlink", "link", "add", i.bridge, "type", "bridge"});
  const object row{object_kind::bridge, "", i.bridge, {{"alias", bridge_mark_}}};
  try {
    if (int bridge = nl.ifindex(i.bridge)) {
      // Making a bridge takes several requests (the link, its mark, its
      // addresses): one of jaild's that a crash left without an address gets
      // it now. (One without its mark is removed by its ledger row.)
      bool added = false;
      if (nl.ifalias(i.bridge) == bridge_mark_) {
        if (!i.bridge_ip4.empty() && nl.address_count(bridge, false) == 0) {
          for (const auto& a : i.bridge_ip4) nl.add_address(bridge, a, false);
          added = true;
        }
        for (const auto& a : i.bridge_ip6)
          if (!nl.has_address(bridge, a, true)) {
            nl.add_address(bridge, a, true);
            added = true;
          }
      }
      step.ok(added ? "exists; its address was missing" : "exists");
      return bridge;
    }
    sinks.objects.record(row);
    try {
      nl.create_bridge(i.bridge, bridge_mark_);
    } catch (const netlink_error& e) {
      if (!e.exists()) throw;
      // Made by someone else since we looked: not jaild's to remove.
      sinks.objects.forget(row);
      step.ok("exists (made meanwhile, not by jaild)");
      return nl.ifindex(i.bridge);
    }
    const int bridge = nl.ifindex(i.bridge);
    for (const auto& a : i.bridge_ip4) nl.add_address(bridge, a, false);
    for (const auto& a : i.bridge_ip6) nl.add_address(bridge, a, true);
    step.ok("created");
    return bridge;
  } catch (const netlink_error& e) {
    step.fail(e.code(), e.what());
  }
}

// The bridges now, so that a missing one fails the start early; the veth
// pairs are ledgered here and made by attach_interfaces, directly into the
// jail's network namespace (see rtnl::create_veth).
void linux_adapter::create_interfaces(const jail_context& ctx, step_sinks sinks) {
  if (ctx.interfaces.empty()) return;
  rtnl nl;
  for (const auto& i : ctx.interfaces) {
    std::lock_guard lock(bridges_mutex_);
    ensure_bridge(nl, i, sinks);
    // The names must be free: an interface that has one is someone else's
    // (another jaild, another tool) and is neither adopted nor ledgered, so
    // that no rollback of this start removes it.
    for (const auto& name : {i.host_end, i.jail_end}) {
      if (!nl.ifindex(name)) continue;
      step_timer step(sinks.steps, "epair.reserve", {"netlink", "link", "show", name});
      step.fail(EEXIST, "interface " + name +
                            " exists on the host and is not this jaild's; refused");
    }
    sinks.objects.record({object_kind::epair,
                          ctx.spec.name,
                          i.host_end,
                          {{"jail_end", i.jail_end}, {"bridge", i.bridge}}});
  }
}

void linux_adapter::attach_interfaces(const jail_context& ctx, const running_jail& jail,
                                      step_sinks sinks) {
  if (ctx.interfaces.empty()) return;
  const auto pid = static_cast<pid_t>(jail.pid);
  if (!alive(jail)) throw error(errc::host_failure, "the jail " + jail.name + " is not running");
  rtnl host_nl;
  for (const auto& i : ctx.interfaces) {
    // Bridges are shared: one jail must not remove a bridge another is
    // joining, so ensuring it and joining it happen under one lock.
    std::lock_guard lock(bridges_mutex_);
    // (The pair was ledgered by create_interfaces, which always runs first.)
    const int bridge = ensure_bridge(host_nl, i, sinks);
    // A port of a VLAN carries it as its group and stays down until the
    // rules that keep it on its VLAN are in (isolate_vlans, below).
    const auto group = static_cast<std::uint32_t>(i.vlan.value_or(0));
    std::vector<std::string> argv{"netlink", "link", "add", i.host_end, "master", i.bridge};
    if (group) argv.insert(argv.end(), {"group", std::to_string(group)});
    argv.insert(argv.end(), {group ? "down" : "up", "type", "veth", "peer", i.jail_end, "address",
                             i.mac, "netns", std::to_string(pid)});
    step_timer step(sinks.steps, "epair.create", argv);
    try {
      host_nl.create_veth(i.host_end, i.jail_end, i.mac, bridge, pid, group == 0, group);
      step.ok();
    } catch (const netlink_error& e) {
      // Made by someone else since create_interfaces looked: not jaild's,
      // so out of the ledger before the rollback could remove it.
      if (e.exists())
        sinks.objects.forget({object_kind::epair,
                              ctx.spec.name,
                              i.host_end,
                              {{"jail_end", i.jail_end}, {"bridge", i.bridge}}});
      step.fail(e.code(), e.what());
    }
  }
  isolate_vlans(ctx, sinks);
  for (const auto& i : ctx.interfaces) {
    if (!i.vlan) continue;
    step_timer step(sinks.steps, "epair.up", {"netlink", "link", "set", i.host_end, "up"});
    try {
      const int index = host_nl.ifindex(i.host_end);
      if (!index) step.fail(ENODEV, i.host_end + " is gone");
      host_nl.set_up(index);
    } catch (const netlink_error& e) {
      step.fail(e.code(), e.what());
    }
    step.ok();
  }
  rtnl jail_nl = [&] {
    try {
      return rtnl::in_netns_of(pid);
    } catch (const netlink_error& e) {
      step_timer step(sinks.steps, "vnet.configure", {"setns", "net", std::to_string(pid)});
      step.fail(e.code(), e.what());
    }
  }();
  for (const auto& i : ctx.interfaces) {
    // Before the link is up, so that no advertisement comes first.
    const int ra = set_router_advertisements(pid, i);
    if (i.slaac6) {
      step_timer step(sinks.steps, "vnet.slaac",
                      {"sysctl", "-n", std::to_string(pid), "net.ipv6.conf." + i.jail_end +
                       ".accept_ra=1", "net.ipv6.conf." + i.jail_end + ".autoconf=1"});
      if (ra) step.fail(ra, "accept_ra of " + i.jail_end + " in the jail: " + errno_text(ra));
      step.ok();
    }
    std::vector<std::string> argv{"netlink", "-n", std::to_string(pid), i.jail_end};
    for (const auto& a : i.ip4) argv.push_back("inet " + a);
    for (const auto& a : i.ip6) argv.push_back("inet6 " + a);
    argv.push_back("up");
    if (!i.defaultrouter.empty()) argv.push_back("default via " + i.defaultrouter);
    if (!i.defaultrouter6.empty()) argv.push_back("default via " + i.defaultrouter6);
    step_timer step(sinks.steps, "vnet.configure", argv);
    try {
      const int index = jail_nl.ifindex(i.jail_end);
      if (!index) step.fail(ENODEV, i.jail_end + " is not in the jail");
      for (const auto& a : i.ip4)
        if (!jail_nl.has_address(index, a, false)) jail_nl.add_address(index, a, false);
      for (const auto& a : i.ip6)
        if (!jail_nl.has_address(index, a, true)) jail_nl.add_address(index, a, true);
      jail_nl.set_up(index);
      try {
        if (!i.defaultrouter.empty()) jail_nl.add_default_route(i.defaultrouter, false);
        if (!i.defaultrouter6.empty()) jail_nl.add_default_route(i.defaultrouter6, true);
      } catch (const netlink_error& e) {
        if (!e.exists()) throw;
      }
      step.ok();
    } catch (const netlink_error& e) {
      step.fail(e.code(), e.what());
    }
  }
  // The network's DHCP server hands each DHCP interface its lease, from now
  // until its pair is destroyed (destroy_epair).
  for (const auto& i : ctx.interfaces) {
    if (i.lease4.empty()) continue;
    step_timer step(sinks.steps, "dhcp.serve", {"dhcp", "serve", i.bridge, i.mac, i.lease4});
    try {
      serve_lease(i);
    } catch (const std::system_error& e) {
      step.fail(e.code().value(), e.what());
    } catch (const error& e) {
      step.fail(EINVAL, e.what());
    }
    step.ok();
  }
}

bool linux_adapter::remove_bridge_if_unused(const std::string& bridge, step_sinks sinks,
                                            bool ledgered) {
  rtnl nl;
  if (!nl.ifindex(bridge)) return true;
  if (!ledgered && nl.ifalias(bridge) != bridge_mark_) return false;  // not jaild's
  if (!bridge_ports(bridge).empty()) return false;
  step_timer step(sinks.steps, "bridge.remove", {"netlink", "link", "del", bridge});
  try {
    nl.delete_link(bridge);
  } catch (const netlink_error& e) {
    step.fail(e.code(), e.what());
  }
  step.ok();
  return true;
}

void linux_adapter::destroy_epair(const object& obj, step_sinks sinks) {
  const std::string bridge = obj.attrs.value("bridge", "");
  withdraw_lease(obj.key);
  std::lock_guard lock(bridges_mutex_);
  {
    step_timer step(sinks.steps, "epair.remove", {"netlink", "link", "del", obj.key});
    try {
      rtnl nl;
      // Deleting either end deletes the pair; the jail end may still be on
      // the host when the jail never started.
      bool existed = nl.delete_link(obj.key);
      const std::string jail_end = obj.attrs.value("jail_end", "");
      if (!jail_end.empty()) existed = nl.delete_link(jail_end) || existed;
      step.ok(existed ? "" : "already gone");
    } catch (const netlink_error& e) {
      step.fail(e.code(), e.what());
    }
  }
  sinks.objects.forget(obj);
  if (!bridge.empty() && remove_bridge_if_unused(bridge, sinks))
    sinks.objects.forget({object_kind::bridge, "", bridge, {{"alias", bridge_mark_}}});
}

void linux_adapter::destroy_bridge(const object& obj, step_sinks sinks) {
  std::lock_guard lock(bridges_mutex_);
  // Its ledger row was written just before jaild made the link (and only
  // when there was none), so the bridge is jaild's even if a crash came
  // before its mark.
  if (remove_bridge_if_unused(obj.key, sinks, true)) {
    sinks.objects.forget(obj);
    return;
  }
  // Still in use by another jail (or not jaild's): it stays in the ledger and
  // goes with the last epair on it.
  step_timer step(sinks.steps, "bridge.keep", {"netlink", "link", "del", obj.key});
  step.ok("in use; removed when its last jail interface goes");
}

}  // namespace jaild::host::linux_host
