#include "lib/jailconf/rc_conf.h"

#include <fmt/format.h>

#include <cctype>
#include <sstream>

#include "lib/model/dynamic_address.h"

namespace jaild::jailconf {
namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// NAME and VALUE of an assignment line; false for anything else.
bool assignment(std::string_view line, std::string& name, std::string& value) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  const auto eq = line.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  name = std::string(line.substr(0, eq));
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  auto rest = line.substr(eq + 1);
  if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) {
    const char quote = rest.front();
    const auto end = rest.find(quote, 1);
    if (end == std::string_view::npos) return false;
    value = std::string(rest.substr(1, end - 1));
  } else {
    const auto end = rest.find_first_of(" \t#");
    value = std::string(rest.substr(0, end));
  }
  return true;
}

}  // namespace

std::map<std::string, rc_addressing> rc_conf_addressing(std::string_view text) {
  std::map<std::string, rc_addressing> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string name, value;
    if (assignment(text.substr(at, end - at), name, value) && name.rfind("ifconfig_", 0) == 0) {
      std::string itf = name.substr(9);
      const bool v6 = itf.size() > 5 && itf.substr(itf.size() - 5) == "_ipv6";
      if (v6) itf.resize(itf.size() - 5);
      if (!itf.empty()) {
        bool dhcp = false, inet6 = false, rtadv = false;
        for (const auto& w : words(value)) {
          const auto u = upper(w);
          dhcp = dhcp || u == "DHCP" || u == "SYNCDHCP";
          inet6 = inet6 || u == "INET6";
          rtadv = rtadv || u == "ACCEPT_RTADV";
        }
        auto& a = out[itf];
        if (v6)
          a.slaac = inet6 && rtadv;
        else
          a.dhcp = dhcp;
      }
    }
    at = end + 1;
  }
  return out;
}

void apply_rc_conf(imported_jail& j, std::string_view rc_text, const std::string& rc_path) {
  if (!j.spec.vnet || j.vnet_names.size() != j.spec.vnet->interfaces.size()) return;
  const auto rc = rc_conf_addressing(rc_text);
  const auto fallback = rc.find("DEFAULT");
  for (std::size_t i = 0; i < j.vnet_names.size(); ++i) {
    auto it = rc.find(j.vnet_names[i]);
    const bool named = it != rc.end();
    if (!named) it = fallback;
    if (it == rc.end()) continue;
    auto& itf = j.spec.vnet->interfaces[i];
    const bool dhcp = it->second.dhcp && itf.ip4.empty() && itf.defaultrouter.empty();
    const bool slaac = it->second.slaac && itf.ip6.empty() && itf.defaultrouter6.empty();
    if (dhcp) itf.ip4 = {std::string(model::dhcp_keyword)};
    if (slaac) itf.ip6 = {std::string(model::slaac_keyword)};
    if (!dhcp && !slaac) continue;
    const std::string what = dhcp && slaac ? "\"ip4\": [\"dhcp\"] and \"ip6\": [\"slaac\"]"
                             : dhcp        ? "\"ip4\": [\"dhcp\"]"
                                           : "\"ip6\": [\"slaac\"]";
    j.warnings.push_back(
        named ? fmt::format("{}: jail '{}': rc.conf configures {} by {}, so the interface gets {}; "
                            "jaild names it e{}b_<id>, so write ifconfig_DEFAULT there instead "
                            "of ifconfig_{}",
                            rc_path, j.spec.name, j.vnet_names[i], dhcp ? "DHCP" : "SLAAC", what,
                            i, j.vnet_names[i])
              : fmt::format("{}: jail '{}': rc.conf's ifconfig_DEFAULT gives {} {}", rc_path,
                            j.spec.name, j.vnet_names[i], what));
  }
}

}  // namespace jaild::jailconf
