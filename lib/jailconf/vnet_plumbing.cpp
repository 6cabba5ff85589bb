#include "lib/jailconf/vnet_plumbing.h"

#include <fmt/format.h>

#include <map>
#include <optional>

#include "lib/model/dynamic_address.h"

namespace jaild::jailconf {
namespace {

struct parsed_line {
  hook_line* line;
  std::vector<std::string> argv;
};

// The hooks of a stage that need no shell, split as jail(8) splits them.
std::vector<parsed_line> parsed(hook_set& hooks, stage s) {
  std::vector<parsed_line> out;
  for (auto& line : hooks[s]) {
    if (line.taken) continue;
    if (auto argv = simple_argv(line.text); argv && !argv->empty())
      out.push_back(parsed_line{&line, std::move(*argv)});
  }
  return out;
}

bool is_ifconfig(const parsed_line& p, std::size_t size) {
  return p.argv.size() == size && is_tool(p.argv[0], "ifconfig");
}

// "e0b_LABEL" -> (0, "LABEL").
std::optional<std::pair<std::size_t, std::string>> jib_jail_end(const std::string& name) {
  if (name.size() < 4 || name[0] != 'e') return std::nullopt;
  std::size_t i = 1;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9') ++i;
  if (i == 1 || i + 2 > name.size() || name[i] != 'b' || name[i + 1] != '_') return std::nullopt;
  if (i - 1 > 2) return std::nullopt;
  return std::make_pair(static_cast<std::size_t>(std::stoul(name.substr(1, i - 1))),
                        name.substr(i + 2));
}

// "10.0.0.10/24" is IPv6 when it has a colon.
bool is_v6(const std::string& addr) { return addr.find(':') != std::string::npos; }

// Does a word of `text` equal `name`?
bool mentions(const std::string& text, const std::string& name) {
  std::size_t at = 0;
  auto word_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  };
  while ((at = text.find(name, at)) != std::string::npos) {
    const bool start = at == 0 || !word_char(text[at - 1]);
    const bool end = at + name.size() == text.size() || !word_char(text[at + name.size()]);
    if (start && end) return true;
    at += name.size();
  }
  return false;
}

}  // namespace

std::vector<lifted_interface> lift_vnet(const std::vector<value>& vnet_interface,
                                        std::string_view jail, hook_set& hooks,
                                        std::vector<std::string>& warnings) {
  auto prestart = parsed(hooks, stage::prestart);
  auto start = parsed(hooks, stage::start);
  auto poststop = parsed(hooks, stage::poststop);

  // jib addm LABEL IF... and jib destroy LABEL.
  std::map<std::string, parsed_line*> jib_addm;
  for (auto& p : prestart)
    if (p.argv.size() >= 4 && is_tool(p.argv[0], "jib") && p.argv[1] == "addm")
      jib_addm.emplace(p.argv[2], &p);

  std::vector<lifted_interface> out;
  std::vector<std::string> names;  // host and jail ends, for the warning below
  for (const value& v : vnet_interface) {
    const std::string& jail_end = v.text;
    lifted_interface li;
    li.pos = v.pos;
    std::string host_end;
    if (auto jib = jib_jail_end(jail_end); jib && jib_addm.count(jib->second)) {
      parsed_line* addm = jib_addm[jib->second];
      const std::size_t index = jib->first;
      if (index + 3 >= addm->argv.size())
        fail_at(v.pos, fmt::format("jail '{}': vnet.interface '{}' is interface {} of 'jib addm "
                                   "{}', which names only {} interface(s)",
                                   jail, jail_end, index, jib->second, addm->argv.size() - 3));
      li.itf.bridge = addm->argv[index + 3] + "bridge";
      host_end = fmt::format("e{}a_{}", index, jib->second);
      warnings.push_back(fmt::format("{}: jail '{}': jib also puts '{}' into bridge '{}'; jaild "
                                     "only joins its interface to the bridge: create the bridge "
                                     "with its uplink on the host (rc.conf)",
                                     v.pos.to_string(), jail, addm->argv[index + 3],
                                     li.itf.bridge));
      addm->line->taken = true;
      for (auto& p : poststop)
        if (p.argv.size() == 3 && is_tool(p.argv[0], "jib") && p.argv[1] == "destroy" &&
            p.argv[2] == jib->second)
          p.line->taken = true;
    } else {
      // An epair by hand: "ifconfig STEM create" makes STEMa and STEMb.
      parsed_line* create = nullptr;
      if (jail_end.size() > 1 && jail_end.back() == 'b') {
        const std::string stem = jail_end.substr(0, jail_end.size() - 1);
        for (auto& p : prestart)
          if (!p.line->taken && p.argv.size() >= 3 && p.argv.size() <= 4 &&
              is_tool(p.argv[0], "ifconfig") && p.argv[1] == stem && p.argv[2] == "create" &&
              (p.argv.size() == 3 || p.argv[3] == "up"))
            create = &p;
        host_end = stem + "a";
      }
      if (!create)
        fail_at(v.pos, fmt::format("jail '{}': vnet.interface '{}' is not created by a block "
                                   "jaild recognises ('ifconfig EPAIR create' with 'ifconfig "
                                   "BRIDGE addm EPAIRa' in exec.prestart, or 'jib addm'); jaild "
                                   "creates VNET interfaces itself and needs their bridge",
                                   jail, jail_end));
      parsed_line* addm = nullptr;
      for (auto& p : prestart)
        if (!p.line->taken && p.argv.size() >= 4 && p.argv.size() <= 5 &&
            is_tool(p.argv[0], "ifconfig") && p.argv[2] == "addm" && p.argv[3] == host_end &&
            (p.argv.size() == 4 || p.argv[4] == "up"))
          addm = &p;
      if (!addm)
        fail_at(v.pos, fmt::format("jail '{}': vnet.interface '{}': no 'ifconfig BRIDGE addm {}' "
                                   "in exec.prestart; jaild needs the bridge of the host end",
                                   jail, jail_end, host_end));
      li.itf.bridge = addm->argv[1];
      create->line->taken = true;
      addm->line->taken = true;
      for (auto& p : prestart)  // "ifconfig EPAIRa up [descr TEXT...]": jaild sets its own
        if (!p.line->taken && p.argv.size() >= 3 && is_tool(p.argv[0], "ifconfig") &&
            p.argv[1] == host_end && p.argv[2] == "up" &&
            (p.argv.size() == 3 || p.argv[3] == "descr" || p.argv[3] == "description"))
          p.line->taken = true;
      for (auto& p : poststop)
        if (!p.line->taken && is_ifconfig(p, 3) && p.argv[1] == host_end &&
            p.argv[2] == "destroy")
          p.line->taken = true;
        else if (!p.line->taken && is_ifconfig(p, 4) && p.argv[1] == li.itf.bridge &&
                 p.argv[2] == "deletem" && p.argv[3] == host_end)
          p.line->taken = true;
    }

    // The jail end: MAC before it moves in, addresses once it is inside.
    for (auto& p : prestart)
      if (!p.line->taken && is_ifconfig(p, 4) && p.argv[1] == jail_end && p.argv[2] == "ether") {
        li.itf.mac = p.argv[3];
        p.line->taken = true;
      }
    for (auto& p : start) {
      // The jail's own clients: "dhclient EPAIRb" (DHCP), and "ifconfig EPAIRb
      // inet6 [-ifdisabled] accept_rtadv [up]" with "rtsol EPAIRb" (SLAAC).
      if (!p.line->taken && p.argv.size() == 2 && p.argv[1] == jail_end &&
          is_tool(p.argv[0], "dhclient")) {
        li.itf.ip4.push_back(std::string(model::dhcp_keyword));
        p.line->taken = true;
        warnings.push_back(fmt::format(
            "{}: jail '{}': '{}' becomes \"ip4\": [\"dhcp\"]; jaild names the interface "
            "itself, so the jail's own client configures it (rc.conf: "
            "ifconfig_DEFAULT=\"SYNCDHCP\")",
            p.line->pos.to_string(), jail, p.line->text));
        continue;
      }
      if (!p.line->taken && p.argv.size() >= 4 && is_tool(p.argv[0], "ifconfig") &&
          p.argv[1] == jail_end && p.argv[2] == "inet6") {
        bool rtadv = false, other = false;
        for (std::size_t k = 3; k < p.argv.size(); ++k) {
          if (p.argv[k] == "accept_rtadv") rtadv = true;
          else if (p.argv[k] != "-ifdisabled" && p.argv[k] != "up" && p.argv[k] != "auto_linklocal")
            other = true;
        }
        if (rtadv && !other) {
          li.itf.ip6.push_back(std::string(model::slaac_keyword));
          p.line->taken = true;
          continue;
        }
      }
      if (!p.line->taken && p.argv.size() == 2 && p.argv[1] == jail_end &&
          is_tool(p.argv[0], "rtsol")) {
        p.line->taken = true;  // the kernel solicits and accepts with accept_rtadv
        continue;
      }
      if (p.line->taken || p.argv.size() < 2 || !is_tool(p.argv[0], "ifconfig") ||
          p.argv[1] != jail_end)
        continue;
      std::vector<std::string> rest(p.argv.begin() + 2, p.argv.end());
      std::string family;
      if (!rest.empty() && (rest.front() == "inet" || rest.front() == "inet6")) {
        family = rest.front();
        rest.erase(rest.begin());
      }
      if (rest.empty() || rest.size() > 2) continue;
      if (rest.size() == 2 && rest[1] != "up" && rest[1] != "alias") continue;
      const std::string& addr = rest[0];
      if (addr == "up" && family.empty() && rest.size() == 1) {
        p.line->taken = true;  // "ifconfig EPAIRb up": jaild brings it up
        continue;
      }
      if (addr.find('/') == std::string::npos) continue;
      const bool v6 = is_v6(addr);
      if ((family == "inet" && v6) || (family == "inet6" && !v6)) continue;
      (v6 ? li.itf.ip6 : li.itf.ip4).push_back(addr);
      p.line->taken = true;
    }
    names.push_back(host_end);
    names.push_back(jail_end);
    out.push_back(std::move(li));
  }

  // Default routes belong to the first interface with an address of their family.
  for (auto& p : start) {
    if (p.line->taken || !is_tool(p.argv[0], "route")) continue;
    std::vector<std::string> a(p.argv.begin() + 1, p.argv.end());
    bool v6 = false;
    if (!a.empty() && (a[0] == "-6" || a[0] == "-4")) {
      v6 = a[0] == "-6";
      a.erase(a.begin());
    }
    if (a.size() < 3 || a[0] != "add") continue;
    a.erase(a.begin());
    if (a[0] == "-inet6" || a[0] == "-inet") {
      v6 = a[0] == "-inet6";
      a.erase(a.begin());
    }
    if (a.size() != 2 || a[0] != "default" || is_v6(a[1]) != v6) continue;
    for (auto& li : out) {
      auto& addrs = v6 ? li.itf.ip6 : li.itf.ip4;
      auto& router = v6 ? li.itf.defaultrouter6 : li.itf.defaultrouter;
      if (model::static_addresses(addrs).empty() || !router.empty()) continue;
      router = a[1];
      p.line->taken = true;
      break;
    }
  }

  // Hooks left that still name the interfaces will not find them: jaild
  // names its interfaces itself.
  for (stage s : all_stages)
    for (const auto& line : hooks[s]) {
      if (line.taken) continue;
      for (const auto& n : names)
        if (!n.empty() && mentions(line.text, n)) {
          warnings.push_back(fmt::format("{}: exec.{} '{}' names interface '{}', which jaild "
                                         "names itself; the hook will not find it",
                                         line.pos.to_string(), stage_name(s), line.text, n));
          break;
        }
    }
  return out;
}

plumbing vnet_plumbing(const model::vnet_interface& itf, int unit) {
  plumbing p;
  const std::string stem = fmt::format("epair{}", unit);
  p.jail_end = stem + "b";
  p.prestart.push_back(fmt::format("/sbin/ifconfig {} create up", stem));
  p.prestart.push_back(fmt::format("/sbin/ifconfig {}a up", stem));
  if (!itf.mac.empty())
    p.prestart.push_back(fmt::format("/sbin/ifconfig {}b ether {}", stem, itf.mac));
  p.prestart.push_back(fmt::format("/sbin/ifconfig {} addm {}a up", itf.bridge, stem));
  bool first = true;
  const auto ip4 = model::static_addresses(itf.ip4), ip6 = model::static_addresses(itf.ip6);
  for (const auto& a : ip4) {
    p.start.push_back(
        fmt::format("/sbin/ifconfig {}b inet {} {}", stem, a, first ? "up" : "alias"));
    first = false;
  }
  first = true;
  for (const auto& a : ip6) {
    p.start.push_back(
        fmt::format("/sbin/ifconfig {}b inet6 {} {}", stem, a, first ? "up" : "alias"));
    first = false;
  }
  if (ip4.empty() && ip6.empty())
    p.start.push_back(fmt::format("/sbin/ifconfig {}b up", stem));
  // The jail's own clients, as jail(8) users run them.
  if (model::uses_slaac(itf))
    p.start.push_back(fmt::format("/sbin/ifconfig {}b inet6 -ifdisabled accept_rtadv up", stem));
  if (model::uses_dhcp(itf)) p.start.push_back(fmt::format("/sbin/dhclient {}b", stem));
  if (!itf.defaultrouter.empty())
    p.start.push_back(fmt::format("/sbin/route add default {}", itf.defaultrouter));
  if (!itf.defaultrouter6.empty())
    p.start.push_back(fmt::format("/sbin/route add -inet6 default {}", itf.defaultrouter6));
  p.poststop.push_back(fmt::format("/sbin/ifconfig {}a destroy", stem));
  return p;
}

}  // namespace jaild::jailconf
