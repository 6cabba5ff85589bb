#include "lib/host/freebsd/plan.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "lib/host/freebsd/dhcp_devfs.h"
#include "lib/host/jail_path.h"
#include "lib/model/address.h"
#include "lib/model/dynamic_address.h"
#include "lib/model/error.h"
#include "lib/model/rctl.h"
#include "lib/model/validate.h"

namespace jaild::host::freebsd {
namespace {

constexpr std::size_t max_interface_name = 15;  // IFNAMSIZ - 1

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

std::vector<std::string> split_fields(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    std::size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > start) out.emplace_back(line.substr(start, i - start));
  }
  return out;
}

bool interface_name_ok(std::string_view name) {
  if (name.empty() || name.size() > max_interface_name) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// A jail(8) parameter value from the spec's JSON.
std::string param_text(const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::vector<std::string> parts;
    for (const auto& item : v) parts.push_back(param_text(item));
    return join(parts, ",");
  }
  return v.dump();
}

std::string under_root(const std::string& root, const std::string& sub) {
  if (root == "/") return sub;
  return root + sub;
}

}  // namespace

// ---------------------------------------------------------------------------
// Names.

std::string kernel_name(std::string_view spec_name) {
  return std::string(kernel_name_prefix) + std::string(spec_name);
}

std::optional<std::string> spec_name_of(std::string_view name) {
  if (!name.starts_with(kernel_name_prefix) || name.size() == kernel_name_prefix.size())
    return std::nullopt;
  std::string rest(name.substr(kernel_name_prefix.size()));
  if (!model::check::jail_name(rest).empty()) return std::nullopt;
  return rest;
}

std::string epair_description(std::string_view spec_name) {
  return "jail:" + kernel_name(spec_name);
}

epair_names epair_names_for(std::string_view instance, std::size_t index) {
  epair_names n{fmt::format("e{}a_{}", index, instance), fmt::format("e{}b_{}", index, instance)};
  if (instance.empty() || !interface_name_ok(n.host_end) || !interface_name_ok(n.jail_end))
    throw error(errc::invalid_value,
                fmt::format("cannot name the epair of interface {} after instance '{}': "
                            "'{}' must be 1-15 letters, digits or '_'",
                            index, instance, n.host_end));
  return n;
}

void check_interface_names(const resolved_interface& itf) {
  if (!interface_name_ok(itf.host_end) || !interface_name_ok(itf.jail_end) ||
      itf.host_end == itf.jail_end)
    throw error(errc::invalid_value,
                fmt::format("epair names '{}' and '{}' must differ and be 1-15 letters, "
                            "digits or '_'",
                            itf.host_end, itf.jail_end));
  if (model::check::interface_name(itf.bridge) != "")
    throw error(errc::invalid_value,
                fmt::format("the bridge of {}: {}", itf.host_end,
                            model::check::interface_name(itf.bridge)));
}

std::string derived_mac(std::string_view instance, std::size_t index) {
  // FNV-1a over the instance and index: stable across restarts and hosts.
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (char c : instance) mix(static_cast<unsigned char>(c));
  mix(static_cast<unsigned char>(index & 0xffu));
  // 0x02: locally administered, unicast.
  return fmt::format("02:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (h >> 32) & 0xffu,
                     (h >> 24) & 0xffu, (h >> 16) & 0xffu, (h >> 8) & 0xffu, h & 0xffu);
}

// ---------------------------------------------------------------------------
// jail_set(2).

std::string jaild_meta(std::string_view admin_meta, std::string_view id) {
  std::string out;
  std::size_t i = 0;
  while (i <= admin_meta.size()) {
    auto nl = admin_meta.find('\n', i);
    if (nl == std::string_view::npos) nl = admin_meta.size();
    const auto line = admin_meta.substr(i, nl - i);
    const bool ours = line.starts_with(meta_key) && line.size() > meta_key.size() &&
                      line[meta_key.size()] == '=';
    if (!line.empty() && !ours) {
      out += line;
      out += '\n';
    }
    i = nl + 1;
  }
  return out + std::string(meta_key) + "=" + std::string(id);
}

std::optional<std::string> meta_value(std::string_view meta, std::string_view key) {
  std::size_t i = 0;
  while (i <= meta.size()) {
    auto nl = meta.find('\n', i);
    if (nl == std::string_view::npos) nl = meta.size();
    const auto line = meta.substr(i, nl - i);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == '=')
      return std::string(line.substr(key.size() + 1));
    i = nl + 1;
  }
  return std::nullopt;
}

std::vector<jail_param> create_params(const jail_context& ctx, bool with_meta) {
  const auto& s = ctx.spec;
  std::vector<jail_param> p;
  p.push_back({"name", kernel_name(s.name)});
  p.push_back({"path", s.path});
  // jail(8) leaves the hostname to the kernel, which copies the host's: a jail
  // that answers with the host's name confuses everyone, so jaild uses the
  // jail's name unless the spec gives one.
  p.push_back({"host.hostname", s.hostname.empty() ? s.name : s.hostname});
  auto addresses = [](const std::vector<std::string>& list, bool v6) {
    std::vector<std::string> out;
    for (const auto& text : list)
      if (auto a = model::parse_jail_address(text, v6, nullptr)) out.push_back(a->addr);
    return out;
  };
  if (auto v4 = addresses(s.ip4, false); !v4.empty()) p.push_back({"ip4.addr", join(v4, ",")});
  if (auto v6 = addresses(s.ip6, true); !v6.empty()) p.push_back({"ip6.addr", join(v6, ",")});
  if (s.vnet) p.push_back({"vnet", "new"});
  if (auto rs = generated_devfs_ruleset(ctx) ? generated_devfs_ruleset(ctx) : devfs_ruleset(s))
    p.push_back({"devfs_ruleset", std::to_string(*rs)});
  std::string admin_meta;
  for (const auto& [key, value] : s.params.items()) {
    if (with_meta && key == "meta") {
      admin_meta = param_text(value);
      continue;
    }
    p.push_back({key, param_text(value)});
  }
  if (with_meta) p.push_back({"meta", jaild_meta(admin_meta, ctx.instance)});
  p.push_back({"persist", "true"});
  return p;
}

std::vector<jail_param> nopersist_params(const jail_context& ctx, std::int64_t jid) {
  if (ctx.spec.persist) return {};
  return {{"jid", std::to_string(jid)}, {"persist", "false"}};
}

std::vector<std::string> jail_set_journal(const std::vector<jail_param>& params,
                                          jail_set_mode mode) {
  std::vector<std::string> out{"jail_set",
                               mode == jail_set_mode::create ? "JAIL_CREATE" : "JAIL_UPDATE"};
  for (const auto& p : params) out.push_back(p.name + "=" + p.value);
  return out;
}

// ---------------------------------------------------------------------------
// Shared-IP aliases.

std::vector<alias> shared_ip_aliases(const model::jail_spec& spec) {
  std::vector<alias> out;
  auto add = [&](const std::vector<std::string>& list, bool v6) {
    for (const auto& text : list) {
      auto a = model::parse_jail_address(text, v6, nullptr);
      if (!a || a->iface.empty()) continue;
      out.push_back({a->iface, v6, a->addr, a->prefix_len});
    }
  };
  add(spec.ip4, false);
  add(spec.ip6, true);
  return out;
}

std::vector<std::string> alias_argv(const alias& a, bool add) {
  std::vector<std::string> argv{ifconfig_path, a.iface, a.v6 ? "inet6" : "inet"};
  if (a.prefix_len < 0) {
    // As jail(8): a host route, so the alias never claims a subnet.
    argv.push_back(a.addr);
    argv.insert(argv.end(), {a.v6 ? "prefixlen" : "netmask", a.v6 ? "128" : "255.255.255.255"});
  } else {
    argv.push_back(a.addr + "/" + std::to_string(a.prefix_len));
  }
  argv.push_back(add ? "alias" : "-alias");
  return argv;
}

std::string alias_key(const alias& a) {
  return a.iface + (a.v6 ? " inet6 " : " inet ") + a.addr;
}

nlohmann::json alias_attrs(const alias& a) {
  return {{"iface", a.iface}, {"family", a.v6 ? "inet6" : "inet"}, {"addr", a.addr},
          {"prefix_len", a.prefix_len}};
}

std::optional<alias> alias_from_attrs(const nlohmann::json& attrs) {
  if (!attrs.is_object() || !attrs.contains("iface") || !attrs.contains("addr")) return std::nullopt;
  alias a;
  a.iface = attrs.value("iface", "");
  a.v6 = attrs.value("family", "inet") == "inet6";
  a.addr = attrs.value("addr", "");
  a.prefix_len = attrs.value("prefix_len", -1);
  if (a.iface.empty() || a.addr.empty()) return std::nullopt;
  return a;
}

// ---------------------------------------------------------------------------
// Mounts.

std::optional<int> devfs_ruleset(const model::jail_spec& spec) {
  if (spec.mount.devfs_ruleset) return spec.mount.devfs_ruleset;
  if (!spec.mount.devfs) return std::nullopt;
  // The base system's rulesets (sbin/devfs/devfs.rules): devfsrules_jail=4,
  // and devfsrules_jail_vnet=5, which also shows /dev/pf to a VNET jail that
  // has its own network stack and so may run its own pf.
  return spec.vnet ? 5 : 4;
}

std::vector<mount_step> mount_plan(const model::jail_spec& spec, const std::string& fstab_text) {
  std::vector<mount_step> out;
  const std::string root = spec.path;
  auto add_line = [&](const std::string& line, const char* step) {
    auto f = split_fields(line);
    if (f.empty() || f[0].starts_with("#")) return;
    if (f.size() < 3)
      throw error(errc::invalid_value,
                  fmt::format("{} line '{}' needs at least a device, a mount point and a type",
                              step, line));
    if (!components_below(root, f[1]))
      throw error(errc::invalid_value,
                  fmt::format("{} line '{}' mounts on {}, which is not below the jail's path {} "
                              "(or has a '.' or '..' in it)",
                              step, line, f[1], root));
    // As jail(8): mount -t TYPE [-o OPTIONS] DEVICE POINT.
    std::vector<std::string> argv{mount_path, "-t", f[2]};
    if (f.size() >= 4) argv.insert(argv.end(), {"-o", f[3]});
    argv.insert(argv.end(), {f[0], f[1]});
    out.push_back({step, f[1], f[2], std::move(argv)});
  };
  for (const auto& line : spec.mount.entries) add_line(line, "mount.entry");
  std::istringstream lines(fstab_text);
  for (std::string line; std::getline(lines, line);) add_line(line, "mount.fstab");
  if (spec.mount.devfs) {
    const auto point = under_root(root, "/dev");
    out.push_back({"mount.devfs", point, "devfs",
                   {mount_path, "-t", "devfs", "-o",
                    "ruleset=" + std::to_string(devfs_ruleset(spec).value_or(4)), "devfs",
                    point}});
  }
  if (spec.mount.fdescfs) {
    const auto point = under_root(root, "/dev/fd");
    out.push_back({"mount.fdescfs", point, "fdescfs", {mount_path, "-t", "fdescfs", "fdesc", point}});
  }
  if (spec.mount.procfs) {
    const auto point = under_root(root, "/proc");
    out.push_back({"mount.procfs", point, "procfs", {mount_path, "-t", "procfs", "proc", point}});
  }
  return out;
}

std::vector<std::string> umount_argv(const std::string& point) { return {umount_path, point}; }

// ---------------------------------------------------------------------------
// VNET.

std::vector<resolved_interface> resolved_interfaces(const jail_context& ctx) {
  if (!ctx.interfaces.empty() || !ctx.spec.vnet) return ctx.interfaces;
  std::vector<resolved_interface> out;
  const auto& list = ctx.spec.vnet->interfaces;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& itf = list[i];
    const auto names = epair_names_for(ctx.instance, i);
    out.push_back({names.host_end, names.jail_end, itf.bridge, {},
                   model::static_addresses(itf.ip4), model::static_addresses(itf.ip6),
                   itf.defaultrouter, itf.defaultrouter6,
                   itf.mac.empty() ? derived_mac(ctx.instance, i) : itf.mac});
    out.back().vlan = itf.vlan;
    out.back().dhcp4 = model::uses_dhcp(itf);
    out.back().slaac6 = model::uses_slaac(itf);
  }
  return out;
}

std::vector<std::string> epair_create_argv(std::string_view spec_name) {
  return {ifconfig_path, "epair", "create", "descr", epair_description(spec_name), "up"};
}

std::optional<std::string> created_epair(std::string_view output) {
  // The last line is the name (older ifconfig printed it at once, newer ones
  // at the end; either way one line "epairNa").
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r' || output.back() == ' '))
    output.remove_suffix(1);
  if (auto nl = output.rfind('\n'); nl != std::string_view::npos) output.remove_prefix(nl + 1);
  if (!output.starts_with("epair") || output.size() < 7 || output.back() != 'a') return std::nullopt;
  std::string_view unit = output.substr(5, output.size() - 6);
  if (unit.empty() ||
      !std::all_of(unit.begin(), unit.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return std::nullopt;
  return std::string(output);
}

std::string epair_peer(std::string_view a_end) {
  std::string b(a_end);
  if (!b.empty()) b.back() = 'b';
  return b;
}

std::vector<std::string> rename_argv(const std::string& from, const std::string& to) {
  return {ifconfig_path, from, "name", to};
}

std::vector<std::string> jail_end_argv(const std::string& from, const std::string& to,
                                       const std::string& mac) {
  std::vector<std::string> argv{ifconfig_path, from, "name", to};
  if (!mac.empty()) argv.insert(argv.end(), {"ether", mac});
  argv.push_back("up");
  return argv;
}

std::vector<std::string> bridge_create_argv(const std::string& bridge) {
  const bool numbered = bridge.size() > 6 && bridge.starts_with("bridge") &&
                        std::all_of(bridge.begin() + 6, bridge.end(),
                                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (numbered) return {ifconfig_path, bridge, "create", "up"};
  return {ifconfig_path, "bridge", "create", "name", bridge, "up"};
}

std::vector<std::string> bridge_address_argv(const std::string& bridge, const std::string& cidr) {
  const bool v6 = cidr.find(':') != std::string::npos;
  return {ifconfig_path, bridge, v6 ? "inet6" : "inet", cidr, "alias"};
}

std::vector<std::string> bridge_addm_argv(const std::string& bridge, const std::string& member) {
  return {ifconfig_path, bridge, "addm", member};
}

std::vector<std::string> bridge_untagged_argv(const std::string& bridge, const std::string& member,
                                              int vlan) {
  return {ifconfig_path, bridge, "ifuntagged", member, std::to_string(vlan)};
}

std::vector<std::string> bridge_show_argv(const std::string& bridge) {
  return {ifconfig_path, bridge};
}

bool bridge_vlan_filtering(std::string_view ifconfig_output) {
  std::size_t at = 0;
  while (at < ifconfig_output.size()) {
    auto end = ifconfig_output.find('\n', at);
    if (end == std::string_view::npos) end = ifconfig_output.size();
    auto line = ifconfig_output.substr(at, end - at);
    while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) line.remove_prefix(1);
    if (line.starts_with("bridge flags=")) return true;
    at = end + 1;
  }
  return false;
}

std::vector<std::string> destroy_interface_argv(const std::string& name) {
  return {ifconfig_path, name, "destroy"};
}

std::vector<std::string> vnet_move_argv(const std::string& jail_end, std::int64_t jid) {
  return {ifconfig_path, jail_end, "vnet", std::to_string(jid)};
}

std::vector<command> vnet_inside(const resolved_interface& itf, const std::string& jail_end,
                                 std::int64_t jid, bool first_interface) {
  std::vector<command> out;
  auto in_jail = [&](std::vector<std::string> argv) {
    out.push_back({std::move(argv), jid, true});
  };
  if (first_interface) in_jail({rescue_ifconfig_path, "lo0", "inet", "127.0.0.1/8", "up"});
  bool up = false;
  for (const auto& a : itf.ip4) {
    in_jail({rescue_ifconfig_path, jail_end, "inet", a, up ? "alias" : "up"});
    up = true;
  }
  for (const auto& a : itf.ip6) {
    std::vector<std::string> argv{rescue_ifconfig_path, jail_end, "inet6", a, "alias"};
    if (!up) argv.push_back("up");
    in_jail(std::move(argv));
    up = true;
  }
  // SLAAC: the kernel forms the addresses from the advertisements it
  // accepts on this interface (ND6_IFF_ACCEPT_RTADV), with IPv6 enabled on it.
  if (itf.slaac6) {
    in_jail({rescue_ifconfig_path, jail_end, "inet6", "-ifdisabled", "accept_rtadv", "up"});
    up = true;
  }
  // DHCP: up, and the address is the jail's own client's business (rc.conf's
  // ifconfig_DEFAULT="SYNCDHCP" or dhclient in exec.start).
  if (!up) in_jail({rescue_ifconfig_path, jail_end, "up"});
  if (!itf.defaultrouter.empty())
    in_jail({rescue_route_path, "add", "-inet", "default", itf.defaultrouter});
  if (!itf.defaultrouter6.empty())
    in_jail({rescue_route_path, "add", "-inet6", "default", itf.defaultrouter6});
  return out;
}

// ---------------------------------------------------------------------------
// RCTL and cpuset.

std::string rctl_subject(std::string_view spec_name) { return "jail:" + kernel_name(spec_name); }

std::string rctl_remove_filter(std::string_view spec_name) {
  return rctl_subject(spec_name) + ":";
}

namespace {
std::vector<std::string> rctl_rules(const model::jail_spec& spec, bool expanded) {
  std::vector<std::string> out;
  for (const auto& text : spec.limits) {
    std::string why;
    auto rule = model::parse_rctl_rule(text, &why);
    if (!rule) throw error(errc::invalid_value, why, "/limits");
    std::string r = fmt::format("{}:{}:{}={}", rctl_subject(spec.name), rule->resource,
                                rule->action,
                                expanded ? std::to_string(rule->amount) : rule->amount_text);
    if (!rule->per.empty()) r += "/" + rule->per;
    out.push_back(std::move(r));
  }
  return out;
}

// "jail:x:memoryuse:deny=2147483648/jail" -> same without "/jail" (the
// default per of a jail subject), so the kernel's form compares with ours.
std::string normal_rule(std::string rule) {
  if (rule.starts_with("jail:") && rule.ends_with("/jail")) rule.resize(rule.size() - 5);
  return rule;
}

// "jail:x:memoryuse:deny=..." -> "jail:x:memoryuse:deny"
std::string rule_filter(const std::string& rule) { return rule.substr(0, rule.find('=')); }
}  // namespace

std::vector<std::string> rctl_kernel_rules(const model::jail_spec& spec) {
  return rctl_rules(spec, true);
}

std::vector<std::string> rctl_human_rules(const model::jail_spec& spec) {
  return rctl_rules(spec, false);
}

rctl_change rctl_diff(const std::vector<std::string>& current,
                      const std::vector<std::string>& wanted) {
  std::set<std::string> want;
  for (const auto& w : wanted) want.insert(normal_rule(w));
  std::set<std::string> have;
  for (const auto& c : current) have.insert(normal_rule(c));
  rctl_change change;
  std::set<std::string> removed;
  for (const auto& h : have)
    if (!want.contains(h) && removed.insert(rule_filter(h)).second)
      change.remove.push_back(rule_filter(h));
  for (const auto& w : wanted) {
    const auto n = normal_rule(w);
    // A rule is (re)added when it is new, or when removing another rule with
    // the same resource and action took it away too.
    if (!have.contains(n) || removed.contains(rule_filter(n))) change.add.push_back(w);
  }
  return change;
}

std::vector<int> cpuset_cpus(const model::jail_spec& spec) {
  if (spec.cpuset.empty()) return {};
  std::string why;
  auto cpus = model::check::parse_cpu_list(spec.cpuset, &why);
  if (!cpus) throw error(errc::invalid_value, why, "/cpuset");
  return *cpus;
}

std::vector<std::string> cpuset_journal(std::int64_t jid, const std::vector<int>& cpus) {
  std::vector<std::string> list;
  for (int c : cpus) list.push_back(std::to_string(c));
  return {"cpuset_setaffinity", "CPU_LEVEL_CPUSET", "CPU_WHICH_JAIL", std::to_string(jid),
          join(list, ",")};
}

// ---------------------------------------------------------------------------
// Hooks and exec.

namespace {
constexpr const char* default_path = "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin";
}

std::map<std::string, std::string> host_hook_env(const jail_context& ctx) {
  return {{"PATH", default_path},
          {"JAIL_NAME", ctx.spec.name},
          {"JAIL_KERNEL_NAME", kernel_name(ctx.spec.name)},
          {"JAIL_PATH", ctx.spec.path},
          {"JAIL_INSTANCE", ctx.instance}};
}

std::map<std::string, std::string> jail_env(const std::string& user) {
  const std::string who = user.empty() ? "root" : user;
  return {{"PATH", default_path},
          {"USER", who},
          {"HOME", who == "root" ? "/root" : "/"},
          {"SHELL", "/bin/sh"},
          {"TERM", "dumb"}};
}

}  // namespace jaild::host::freebsd
