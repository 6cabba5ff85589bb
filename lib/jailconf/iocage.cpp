#include "lib/jailconf/iocage.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <tuple>

#include "lib/model/error.h"

namespace jaild::jailconf {
namespace {

using json = nlohmann::json;

// iocage writes its values as strings, numbers or booleans, by version.
std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  return v.dump();
}

bool on(const json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end()) return false;
  const auto t = text_of(*it);
  return t == "on" || t == "1" || t == "yes" || t == "true";
}

std::string property(const json& config, const char* key) {
  auto it = config.find(key);
  return it == config.end() || it->is_null() ? std::string() : text_of(*it);
}

bool unset(const std::string& v) { return v.empty() || v == "none" || v == "-"; }

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, sep);) {
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

[[noreturn]] void refuse(const std::string& key, const std::string& why) {
  throw error(errc::invalid_value, fmt::format("iocage {}: {}", key, why), "/" + key);
}

}  // namespace

bool is_iocage_config(const json& doc) {
  return doc.is_object() && doc.contains("host_hostuuid") && doc.contains("CONFIG_VERSION");
}

imported_jail iocage_to_spec(const json& config, const std::string& file) {
  imported_jail out;
  auto& warnings = out.warnings;
  const auto name = property(config, "host_hostuuid");
  if (name.empty())
    throw error(errc::missing_field, "an iocage config.json names its jail in host_hostuuid",
                "/host_hostuuid");
  if (file.empty() || file.front() != '/')
    throw error(errc::missing_field,
                "an iocage config.json is imported with its file name (iocage's root is beside "
                "it): {\"text\": ..., \"file\": \"/iocage/jails/NAME/config.json\"}",
                "/file");
  json spec = {{"name", name},
               {"path", (std::filesystem::path(file).parent_path() / "root").string()}};
  if (auto h = property(config, "host_hostname"); !h.empty()) spec["hostname"] = h;

  const bool vnet = on(config, "vnet");
  const bool dhcp = on(config, "dhcp");
  // Interfaces: "vnet0:bridge0,vnet1:bridge1", iocage's default when unset.
  std::vector<std::pair<std::string, std::string>> itfs;
  if (vnet) {
    auto text = property(config, "interfaces");
    if (unset(text)) text = "vnet0:bridge0";
    for (const auto& pair : split(text, ',')) {
      const auto colon = pair.find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == pair.size())
        refuse("interfaces", fmt::format("'{}' is not VNET:BRIDGE", pair));
      itfs.emplace_back(pair.substr(0, colon), pair.substr(colon + 1));
    }
  }
  auto index_of = [&](const std::string& nic, const char* key) -> std::size_t {
    for (std::size_t i = 0; i < itfs.size(); ++i)
      if (itfs[i].first == nic) return i;
    refuse(key, fmt::format("'{}' is not one of the jail's interfaces (interfaces: {})", nic,
                            property(config, "interfaces")));
  };
  std::vector<json> vnet_itfs(itfs.size(), json::object());
  for (std::size_t i = 0; i < itfs.size(); ++i) vnet_itfs[i]["bridge"] = itfs[i].second;

  // Addresses: "NIC|ADDR/LEN,..." where NIC is a vnet name for a VNET jail,
  // a host interface otherwise; DHCP and ACCEPT_RTADV for the jail's clients.
  std::vector<std::string> shared4, shared6;
  for (const auto& [key, v6] : {std::pair{"ip4_addr", false}, std::pair{"ip6_addr", true}}) {
    const auto text = property(config, key);
    if (unset(text)) continue;
    for (const auto& item : split(text, ',')) {
      const auto bar = item.find('|');
      std::string nic = bar == std::string::npos ? "" : item.substr(0, bar);
      std::string addr = bar == std::string::npos ? item : item.substr(bar + 1);
      std::string upper = addr;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (!vnet) {
        if (upper == "DHCP" || upper == "ACCEPT_RTADV")
          refuse(key, "DHCP and ACCEPT_RTADV need vnet=on (a jail of its own network stack)");
        (v6 ? shared6 : shared4).push_back(item);
        continue;
      }
      if (nic.empty()) nic = itfs.empty() ? "" : itfs.front().first;
      auto& itf = vnet_itfs[index_of(nic, key)];
      if (!v6 && upper == "DHCP")
        addr = "dhcp";
      else if (v6 && upper == "ACCEPT_RTADV")
        addr = "slaac";
      itf[v6 ? "ip6" : "ip4"].push_back(addr);
    }
  }
  if (dhcp) {
    if (!vnet) refuse("dhcp", "dhcp=on needs vnet=on (a jail of its own network stack)");
    // iocage's dhcp=on is vnet0 by DHCP, whatever ip4_addr says.
    auto& first = vnet_itfs.front();
    if (first.contains("ip4") && first["ip4"] != json::array({"dhcp"}))
      warnings.push_back(fmt::format("{}: dhcp=on: the addresses of ip4_addr on {} are left out",
                                     file, itfs.front().first));
    first["ip4"] = json::array({"dhcp"});
  }
  for (const auto& [key, field, v6] :
       {std::tuple{"defaultrouter", "defaultrouter", false},
        std::tuple{"defaultrouter6", "defaultrouter6", true}}) {
    const auto r = property(config, key);
    if (unset(r) || r == "auto") continue;
    if (!vnet) {
      warnings.push_back(fmt::format(
          "{}: {} is left out: a shared-IP jail uses the host's routes", file, key));
      continue;
    }
    // The first interface with a static address of the family.
    bool placed = false;
    for (auto& itf : vnet_itfs) {
      const auto list = itf.value(v6 ? "ip6" : "ip4", json::array());
      if (list.empty() || list == json::array({v6 ? "slaac" : "dhcp"})) continue;
      itf[field] = r;
      placed = true;
      break;
    }
    if (!placed)
      warnings.push_back(fmt::format("{}: {} is left out: the DHCP server or the router "
                                     "advertisements give the route",
                                     file, key));
  }
  if (vnet) {
    spec["vnet"] = {{"interfaces", vnet_itfs}};
    for (std::size_t i = 0; i < itfs.size(); ++i)
      if (vnet_itfs[i].value("ip4", json::array()) == json::array({"dhcp"}))
        warnings.push_back(fmt::format(
            "{}: {} takes its address by DHCP; jaild names the jail's interface e{}b_<id>, so "
            "the jail's rc.conf configures it with ifconfig_DEFAULT=\"SYNCDHCP\" (iocage wrote "
            "ifconfig_epair{}b=\"SYNCDHCP\")",
            file, itfs[i].first, i, i));
  } else {
    if (!shared4.empty()) spec["ip4"] = shared4;
    if (!shared6.empty()) spec["ip6"] = shared6;
  }

  if (on(config, "boot")) spec["boot"] = true;
  if (auto p = property(config, "priority"); !p.empty()) {
    try {
      std::size_t used = 0;
      const int n = std::stoi(p, &used);
      if (used != p.size()) throw std::invalid_argument(p);
      spec["priority"] = n;
    } catch (const std::exception&) {
      refuse("priority", fmt::format("'{}' is not a number", p));
    }
  }
  if (auto d = property(config, "depends"); !unset(d)) spec["depend"] = split(d, ' ');
  json exec = json::object();
  for (const auto& [key, stage] :
       {std::pair{"exec_prestart", "prestart"}, std::pair{"exec_start", "start"},
        std::pair{"exec_poststart", "poststart"}, std::pair{"exec_prestop", "prestop"},
        std::pair{"exec_stop", "stop"}, std::pair{"exec_poststop", "poststop"}}) {
    const auto v = property(config, key);
    if (!unset(v) && v != "/usr/bin/true") exec[stage] = json::array({v});
  }
  if (!exec.empty()) spec["exec"] = exec;
  json params = json::object();
  for (const auto& [key, v] : config.items())
    if (key.rfind("allow_", 0) == 0) {
      const auto t = text_of(v);
      if (t != "0" && t != "1") continue;  // iocage's "allow_mount_*" are 0/1; others kept out
      // allow_raw_sockets -> allow.raw_sockets, allow_mount_devfs -> allow.mount.devfs
      std::string rest = key.substr(6);
      if (rest.rfind("mount_", 0) == 0) rest = "mount." + rest.substr(6);
      const std::string param = "allow." + rest;
      if (t == "1") params[param] = true;
    }
  if (!params.empty()) spec["params"] = params;
  json mount = json::object();
  if (!config.contains("mount_devfs") || on(config, "mount_devfs")) mount["devfs"] = true;
  // iocage's default ruleset is 4; a DHCP jail gets jaild's own (bpf).
  if (auto rs = property(config, "devfs_ruleset"); !unset(rs) && rs != "4" && !dhcp) {
    try {
      mount["devfs_ruleset"] = std::stoi(rs);
    } catch (const std::exception&) {
      refuse("devfs_ruleset", fmt::format("'{}' is not a number", rs));
    }
  }
  if (on(config, "mount_fdescfs")) mount["fdescfs"] = true;
  if (on(config, "mount_procfs")) mount["procfs"] = true;
  spec["mount"] = mount;
  if (on(config, "bpf") && !dhcp) {
    bool any_dhcp = false;
    for (const auto& itf : vnet_itfs)
      any_dhcp = any_dhcp || itf.value("ip4", json::array()) == json::array({"dhcp"});
    if (!any_dhcp)
      warnings.push_back(fmt::format(
          "{}: bpf=yes without DHCP is left out: give a devfs_ruleset that unhides bpf*", file));
  }
  if (on(config, "nat"))
    warnings.push_back(fmt::format(
        "{}: iocage's nat is left out: put the jail on a managed network with nat", file));
  try {
    out.spec = model::spec_from_json(spec);
  } catch (const error& e) {
    throw error(e.code(), fmt::format("{}: jail '{}': {}", file, name, e.what()), e.field());
  }
  return out;
}

}  // namespace jaild::jailconf
