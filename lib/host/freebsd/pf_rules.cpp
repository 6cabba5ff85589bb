#include "lib/host/freebsd/pf_rules.h"

#include <sstream>

#include <fmt/format.h>


namespace jaild::host::freebsd {
namespace {

const char* proto(model::port_proto p) { return p == model::port_proto::udp ? "udp" : "tcp"; }

// Whether some line of `text` starts with `prefix` (leading blanks skipped).
bool has_line(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto start = line.find_first_not_of(" \t");
    if (start != std::string::npos && line.compare(start, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

}  // namespace

std::string jail_anchor(const std::string& jail) { return std::string(pf_anchor_root) + "/" + jail; }

const std::vector<std::string>& anchor_lines() {
  static const std::vector<std::string> lines{
      fmt::format("nat-anchor \"{}/*\"", pf_anchor_root),
      fmt::format("rdr-anchor \"{}/*\"", pf_anchor_root),
      fmt::format("anchor \"{}/*\"", pf_anchor_root)};
  return lines;
}

std::string jail_rules(const std::string& name, const jail_firewall& jail) {
  std::string rdr, nat;
  for (const auto& m : jail.nat)
    nat += fmt::format("nat on {} inet from {} to any -> ({})\n", m.uplink, m.source, m.uplink);
  model::check_port_families(jail.ports, !jail.address4.empty(), !jail.address6.empty());
  for (const auto& p : jail.ports) {
    for (const bool v6 : {false, true}) {
      const auto& target = v6 ? jail.address6 : jail.address4;
      if (!(v6 ? p.on_v6() : p.on_v4()) || target.empty()) continue;
      const char* af = v6 ? "inet6" : "inet";
      // "self": every address of the host, as pf expands it when it loads the anchor.
      const std::string to =
          p.host_address.empty() || p.any_address() ? "self" : p.host_address;
      // Tagged, so that the hairpin nat below touches only redirected packets.
      rdr += fmt::format("rdr pass {} proto {} from any to {} port {} tag jaild_rdr -> {} port {}\n",
                         af, proto(p.proto), to, p.host_port, target, p.jail_port);
      for (const auto& s : jail.segments)
        if (s.v6 == v6)
          nat += fmt::format("nat on {} {} proto {} from {} to {} port {} tagged jaild_rdr -> ({})\n",
                             s.bridge, af, proto(p.proto), s.subnet, target, p.jail_port, s.bridge);
    }
  }
  // pf.conf's order: translation (nat, then rdr) before filtering.
  return fmt::format("# jaild: NAT and published ports of jail {}\n", name) + nat + rdr;
}

std::vector<std::string> load_anchor_argv(const std::string& anchor) {
  return {pfctl_path, "-a", anchor, "-f", "-"};
}

std::vector<std::string> flush_anchor_argv(const std::string& anchor) {
  return {pfctl_path, "-a", anchor, "-F", "all"};
}

std::vector<std::string> show_nat_argv() { return {pfctl_path, "-s", "nat"}; }

std::vector<std::string> show_rules_argv() { return {pfctl_path, "-s", "rules"}; }

std::vector<std::string> missing_anchor_lines(const std::string& show_nat,
                                              const std::string& show_rules) {
  std::vector<std::string> missing;
  const auto& lines = anchor_lines();
  if (!has_line(show_nat, lines[0])) missing.push_back(lines[0]);
  if (!has_line(show_nat, lines[1])) missing.push_back(lines[1]);
  if (!has_line(show_rules, lines[2])) missing.push_back(lines[2]);
  return missing;
}

std::vector<std::string> default_route_argv() { return {"/sbin/route", "-n", "get", "default"}; }

std::string route_get_interface(const std::string& route_output) {
  std::istringstream in(route_output);
  for (std::string line; std::getline(in, line);) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line.compare(start, 10, "interface:") != 0) continue;
    std::istringstream value(line.substr(start + 10));
    std::string iface;
    value >> iface;
    return iface;
  }
  return {};
}

}  // namespace jaild::host::freebsd
