#include "lib/host/linux/nft_rules.h"

#include <unistd.h>

#include <sstream>
#include <stdexcept>

namespace jaild::host::linux_host {
namespace {

using nlohmann::json;

json match(json left, json right, const char* op = "==") {
  return {{"match", {{"op", op}, {"left", std::move(left)}, {"right", std::move(right)}}}};
}
json payload(const char* protocol, const char* field) {
  return {{"payload", {{"protocol", protocol}, {"field", field}}}};
}
json meta(const char* key) { return {{"meta", {{"key", key}}}}; }

// "10.0.0.0/24" as nft's prefix; a plain address as itself.
json address_or_prefix(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return text;
  return {{"prefix", {{"addr", text.substr(0, slash)}, {"len", std::stoi(text.substr(slash + 1))}}}};
}

const char* l4(model::port_proto p) { return p == model::port_proto::udp ? "udp" : "tcp"; }

struct family {
  bool v6;
  const char* ip() const { return v6 ? "ip6" : "ip"; }
  const char* nfproto() const { return v6 ? "ipv6" : "ipv4"; }
  const char* loopback() const { return v6 ? "::1" : "127.0.0.0/8"; }
};

json chain(const std::string& table, const char* name, const char* hook, int prio) {
  return {{"add",
           {{"chain",
             {{"family", "inet"},
              {"table", table},
              {"name", name},
              {"type", "nat"},
              {"hook", hook},
              {"prio", prio},
              {"policy", "accept"}}}}}};
}

json rule(const std::string& table, const char* chain_name, json expr) {
  return {{"add",
           {{"rule",
             {{"family", "inet"}, {"table", table}, {"chain", chain_name}, {"expr", std::move(expr)}}}}}};
}

// The DNAT of one port for one family, in prerouting (from outside and from
// jails) or output (from the host itself, except loopback, which the kernel
// does not route to another host).
json dnat_rule(const std::string& table, const char* chain_name, const model::published_port& p,
               family f, const std::string& target, bool from_host) {
  json expr = json::array();
  expr.push_back(match(meta("nfproto"), f.nfproto()));
  expr.push_back(match({{"fib", {{"result", "type"}, {"flags", {"daddr"}}}}}, "local"));
  if (!p.host_address.empty() && !p.any_address())
    expr.push_back(match(payload(f.ip(), "daddr"), p.host_address));
  else if (from_host)
    expr.push_back(match(payload(f.ip(), "daddr"), address_or_prefix(f.loopback()), "!="));
  expr.push_back(match(payload(l4(p.proto), "dport"), p.host_port));
  expr.push_back({{"dnat", {{"family", f.ip()}, {"addr", target}, {"port", p.jail_port}}}});
  return rule(table, chain_name, std::move(expr));
}

// A jail of `subnet` that reached `target`'s port through a host address is
// masqueraded: the answer then comes back through the host, which undoes
// the DNAT, instead of straight across the bridge.
json hairpin_rule(const std::string& table, const model::published_port& p, family f,
                  const std::string& subnet, const std::string& target) {
  json expr = json::array();
  expr.push_back(match({{"ct", {{"key", "status"}}}}, "dnat", "in"));
  expr.push_back(match(meta("l4proto"), l4(p.proto)));
  expr.push_back(match(payload(f.ip(), "saddr"), address_or_prefix(subnet)));
  expr.push_back(match(payload(f.ip(), "daddr"), target));
  expr.push_back(match(payload("th", "dport"), p.jail_port));
  expr.push_back({{"masquerade", nullptr}});
  return rule(table, "postrouting", std::move(expr));
}

}  // namespace

std::string firewall_table(const std::string& instance) { return "jaild_" + instance; }

std::string firewall_table_prefix(const std::string& instance_tag) {
  return "jaild_" + instance_tag;
}

json firewall_commands(const std::string& name, const jail_firewall& fw) {
  const json table = {{"family", "inet"}, {"name", name}};
  json cmds = json::array();
  cmds.push_back({{"add", {{"table", table}}}});
  cmds.push_back({{"flush", {{"table", table}}}});
  cmds.push_back(chain(name, "prerouting", "prerouting", -100));
  cmds.push_back(chain(name, "output", "output", -100));
  cmds.push_back(chain(name, "postrouting", "postrouting", 100));
  for (const auto& m : fw.nat)
    cmds.push_back(rule(name, "postrouting",
                        json::array({match(payload("ip", "saddr"), m.source),
                                     match(meta("oifname"), m.uplink),
                                     json{{"masquerade", nullptr}}})));
  model::check_port_families(fw.ports, !fw.address4.empty(), !fw.address6.empty());
  for (const auto& p : fw.ports) {
    for (const family f : {family{false}, family{true}}) {
      const auto& target = f.v6 ? fw.address6 : fw.address4;
      if (!(f.v6 ? p.on_v6() : p.on_v4()) || target.empty()) continue;
      cmds.push_back(dnat_rule(name, "prerouting", p, f, target, false));
      cmds.push_back(dnat_rule(name, "output", p, f, target, true));
      for (const auto& s : fw.segments)
        if (s.v6 == f.v6) cmds.push_back(hairpin_rule(name, p, f, s.subnet, target));
    }
  }
  return {{"nftables", cmds}};
}

json vlan_commands(const std::string& name, const std::vector<vlan_port>& ports) {
  const json table = {{"family", "bridge"}, {"name", name}};
  json cmds = json::array();
  cmds.push_back({{"add", {{"table", table}}}});
  cmds.push_back({{"flush", {{"table", table}}}});
  for (const char* hook : {"forward", "input", "output"})
    cmds.push_back({{"add",
                     {{"chain",
                       {{"family", "bridge"},
                        {"table", name},
                        {"name", hook},
                        {"type", "filter"},
                        {"hook", hook},
                        {"prio", 0},
                        {"policy", "accept"}}}}}});
  auto add = [&](const char* chain_name, json expr) {
    expr.push_back({{"drop", nullptr}});
    cmds.push_back({{"add",
                     {{"rule",
                       {{"family", "bridge"},
                        {"table", name},
                        {"chain", chain_name},
                        {"expr", std::move(expr)}}}}}});
  };
  for (const auto& p : ports) {
    add("forward", json::array({match(meta("iifname"), p.port), match(meta("oifgroup"), p.vlan, "!=")}));
    add("forward", json::array({match(meta("oifname"), p.port), match(meta("iifgroup"), p.vlan, "!=")}));
    add("input", json::array({match(meta("iifname"), p.port)}));
    add("output", json::array({match(meta("oifname"), p.port)}));
  }
  return {{"nftables", cmds}};
}

json delete_table_command(const std::string& table, const std::string& family) {
  return {{"nftables", json::array({{{"delete", {{"table", {{"family", family}, {"name", table}}}}}}})}};
}

std::vector<std::string> tables_of(const std::string& nft_json, const std::string& prefix,
                                   const std::string& family) {
  const auto doc = json::parse(nft_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("nftables") ||
      !doc["nftables"].is_array())
    throw std::invalid_argument("nft did not answer with its JSON document");
  std::vector<std::string> out;
  for (const auto& item : doc["nftables"]) {
    if (!item.is_object() || !item.contains("table")) continue;
    const auto& t = item["table"];
    if (!t.is_object() || t.value("family", "") != family) continue;
    const std::string name = t.value("name", "");
    if (name.rfind(prefix, 0) == 0) out.push_back(name);
  }
  return out;
}

std::string default_route_interface(const std::string& proc_net_route) {
  std::istringstream in(proc_net_route);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string iface, destination, gateway, flags, refcnt, use, metric, mask;
    if (!(fields >> iface >> destination >> gateway >> flags >> refcnt >> use >> metric >> mask))
      continue;
    // Destination and mask 0: the default route; flag 0x1 (RTF_UP).
    if (destination == "00000000" && mask == "00000000" &&
        (std::stoul(flags, nullptr, 16) & 0x1))
      return iface;
  }
  return {};
}

bool nft_available() {
  std::istringstream dirs(nft_path);
  for (std::string d; std::getline(dirs, d, ':');)
    if (::access((d + "/nft").c_str(), X_OK) == 0) return true;
  return false;
}

}  // namespace jaild::host::linux_host
