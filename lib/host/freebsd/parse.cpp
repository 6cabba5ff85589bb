#include "lib/host/freebsd/parse.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "lib/host/freebsd/plan.h"
#include "lib/model/text.h"

namespace jaild::host::freebsd {
namespace {

using nlohmann::json;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

using model::split;

// Lines, or a comma-separated kernel buffer: both become items.
std::vector<std::string_view> items_of(std::string_view text) {
  std::vector<std::string_view> out;
  for (auto line : split(text, '\n'))
    for (auto item : split(line, ',')) {
      item = trim(item);
      // The kernel's buffers end with a NUL (rctl(8) stops there too).
      while (!item.empty() && item.back() == '\0') item.remove_suffix(1);
      if (!item.empty()) out.push_back(item);
    }
  return out;
}

std::optional<std::int64_t> to_int(std::string_view s) {
  s = trim(s);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> json_int(const json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_string()) return to_int(v.get<std::string>());
  return std::nullopt;
}

std::string json_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_array()) {
    std::string out;
    for (const auto& item : v) out += (out.empty() ? "" : ",") + json_text(item);
    return out;
  }
  if (v.is_null()) return "";
  return v.dump();
}

std::vector<std::string> json_strings(const json& v) {
  std::vector<std::string> out;
  if (v.is_array())
    for (const auto& item : v)
      if (item.is_string() && !item.get<std::string>().empty()) out.push_back(item);
  if (v.is_string() && !v.get<std::string>().empty()) out.push_back(v);
  return out;
}

// "25M", "1.2G", "512", "0" -> a number (rctl -h uses humanize_number(3):
// powers of 1024, one decimal below 10).
std::optional<double> human_number(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  double scale = 1;
  const char last = static_cast<char>(std::toupper(static_cast<unsigned char>(s.back())));
  const std::string_view suffixes = "BKMGTPE";
  if (auto at = suffixes.find(last); at != std::string_view::npos) {
    scale = std::pow(1024.0, static_cast<double>(at));
    s.remove_suffix(1);
  }
  // DIGITS[.DIGITS]: what rctl(8) and the kernel print (no sign, no exponent).
  double v = 0;
  std::size_t i = 0, digits = 0;
  for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, ++digits)
    v = v * 10 + (s[i] - '0');
  if (i < s.size() && s[i] == '.') {
    double place = 0.1;
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, ++digits) {
      v += (s[i] - '0') * place;
      place /= 10;
    }
  }
  if (digits == 0 || i != s.size()) return std::nullopt;
  return v * scale;
}

int prefix_of_netmask(std::string_view mask) {
  if (mask.starts_with("0x")) {
    std::uint32_t m = 0;
    auto [p, ec] = std::from_chars(mask.data() + 2, mask.data() + mask.size(), m, 16);
    if (ec != std::errc{} || p != mask.data() + mask.size()) return -1;
    return std::popcount(m);
  }
  return -1;
}

bool fail(std::string* why, std::string text) {
  if (why) *why = std::move(text);
  return false;
}

}  // namespace

// ---------------------------------------------------------------------------

std::optional<std::vector<jls_jail>> parse_jls_json(std::string_view text, std::string* why) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    fail(why, "jls output is not a JSON object");
    return std::nullopt;
  }
  const auto info = doc.find("jail-information");
  if (info == doc.end() || !info->is_object()) {
    fail(why, "jls output has no \"jail-information\" object");
    return std::nullopt;
  }
  std::vector<jls_jail> out;
  const auto list = info->find("jail");
  if (list == info->end()) return out;  // no jails: libxo may omit the empty list
  if (!list->is_array()) {
    fail(why, "\"jail-information\".\"jail\" is not a list");
    return std::nullopt;
  }
  for (const auto& j : *list) {
    if (!j.is_object()) {
      fail(why, "a jail in jls output is not an object");
      return std::nullopt;
    }
    jls_jail r;
    for (const auto& [key, value] : j.items()) r.params[key] = json_text(value);
    if (auto it = j.find("jid"); it != j.end()) {
      auto jid = json_int(*it);
      if (!jid) {
        fail(why, "jid " + it->dump() + " is not a number");
        return std::nullopt;
      }
      r.jid = *jid;
    }
    r.name = j.contains("name") ? json_text(j["name"]) : "";
    // Plain and -v name it "hostname"; -n uses the parameter's name.
    r.hostname = j.contains("hostname") ? json_text(j["hostname"])
                                        : (j.contains("host.hostname") ? json_text(j["host.hostname"]) : "");
    r.path = j.contains("path") ? json_text(j["path"]) : "";
    if (j.contains("state")) r.dying = json_text(j["state"]) == "DYING";
    if (j.contains("dying")) r.dying = json_text(j["dying"]) == "true" || json_text(j["dying"]) == "1";
    if (j.contains("cpusetid"))
      if (auto id = json_int(j["cpusetid"])) r.cpuset_id = *id;
    if (j.contains("cpuset.id"))
      if (auto id = json_int(j["cpuset.id"])) r.cpuset_id = *id;
    for (const char* key : {"ipv4_addrs", "ip4.addr", "ipv4"})
      if (j.contains(key)) r.ip4 = json_strings(j[key]);
    for (const char* key : {"ipv6_addrs", "ip6.addr"})
      if (j.contains(key)) r.ip6 = json_strings(j[key]);
    if (r.name.empty() && r.jid < 0) {
      fail(why, "a jail in jls output has neither jid nor name");
      return std::nullopt;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<running_jail> owned_jails(const std::vector<jls_jail>& jails,
                                      std::string_view instance_tag) {
  std::vector<running_jail> out;
  for (const auto& j : jails) {
    if (j.dying || j.jid < 0) continue;
    auto name = spec_name_of(j.name);
    if (!name) continue;
    // With the `meta` parameter, the start that made the jail (jaild_meta()).
    std::optional<std::string> id;
    if (auto m = j.params.find("meta"); m != j.params.end()) id = meta_value(m->second, meta_key);
    if (id && !instance_tag.empty() && id->size() > instance_tag.size() &&
        !id->starts_with(instance_tag))
      continue;  // another jaild's
    out.push_back({*name, j.jid, -1,
                   id ? std::string(meta_key) + "=" + *id : "jid=" + std::to_string(j.jid)});
  }
  return out;
}

bool ledgered_jail_is(const nlohmann::json& attrs, const kernel_jail& kj) {
  if (attrs.contains("instance") && attrs["instance"].is_string() && !kj.meta.empty())
    if (auto id = meta_value(kj.meta, meta_key))
      return *id == attrs["instance"].get<std::string>();
  if (attrs.contains("path") && attrs["path"].is_string())
    return kj.path == attrs["path"].get<std::string>();
  return true;
}

std::optional<std::map<std::string, double>> parse_rctl_usage(std::string_view text,
                                                              std::string* why) {
  std::map<std::string, double> out;
  for (auto item : items_of(text)) {
    auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      fail(why, "'" + std::string(item) + "' is not resource=amount");
      return std::nullopt;
    }
    auto value = human_number(item.substr(eq + 1));
    if (!value) {
      fail(why, "'" + std::string(item) + "' has no number after '='");
      return std::nullopt;
    }
    out[std::string(item.substr(0, eq))] = *value;
  }
  return out;
}

std::optional<std::vector<rctl_listed_rule>> parse_rctl_rules(std::string_view text,
                                                              std::string* why) {
  std::vector<rctl_listed_rule> out;
  for (auto item : items_of(text)) {
    auto parts = split(item, ':');
    if (parts.size() != 4) {
      fail(why, "'" + std::string(item) + "' is not subject:id:resource:action=amount");
      return std::nullopt;
    }
    rctl_listed_rule r;
    r.text = std::string(item);
    r.subject = std::string(parts[0]);
    r.id = std::string(parts[1]);
    r.resource = std::string(parts[2]);
    auto rest = parts[3];
    auto eq = rest.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      fail(why, "'" + std::string(item) + "' has no action=amount");
      return std::nullopt;
    }
    r.action = std::string(rest.substr(0, eq));
    auto amount = rest.substr(eq + 1);
    if (auto slash = amount.find('/'); slash != std::string_view::npos) {
      r.per = std::string(amount.substr(slash + 1));
      amount = amount.substr(0, slash);
    }
    if (!human_number(amount)) {
      fail(why, "'" + std::string(item) + "' has no amount");
      return std::nullopt;
    }
    r.amount = std::string(amount);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> parse_interface_group(std::string_view text) {
  std::vector<std::string> out;
  for (auto line : split(text, '\n')) {
    line = trim(line);
    if (!line.empty()) out.emplace_back(line);
  }
  return out;
}

std::optional<interface_info> parse_ifconfig(std::string_view text, std::string* why) {
  interface_info info;
  bool header = false;
  for (auto raw : split(text, '\n')) {
    if (raw.empty()) continue;
    const bool indented = std::isspace(static_cast<unsigned char>(raw.front()));
    auto line = trim(raw);
    if (!indented) {
      if (header) break;  // the next interface's block
      // "NAME: flags=...": anything else (an error message) is not ifconfig's output.
      auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0 ||
          !line.substr(colon + 1).starts_with(" flags=")) {
        fail(why, "'" + std::string(line) + "' is not an ifconfig header (NAME: flags=...)");
        return std::nullopt;
      }
      info.name = std::string(line.substr(0, colon));
      header = true;
      continue;
    }
    if (!header) continue;
    std::istringstream words{std::string(line)};
    std::string word;
    words >> word;
    if (word == "description:") {
      info.description = std::string(trim(line.substr(std::string_view("description:").size())));
    } else if (word == "groups:") {
      while (words >> word) info.groups.push_back(word);
    } else if (word == "member:") {
      if (words >> word) info.members.push_back(word);
    } else if (word == "ether") {
      words >> info.ether;
    } else if (word == "inet") {
      std::string addr, key, value;
      words >> addr;
      if (addr.find('/') == std::string::npos) {
        while (words >> key) {
          if (key == "netmask" && words >> value) {
            int len = prefix_of_netmask(value);
            if (len >= 0) addr += "/" + std::to_string(len);
            break;
          }
        }
      }
      info.inet.push_back(addr);
    } else if (word == "inet6") {
      std::string addr, key, value;
      words >> addr;
      while (words >> key)
        if (key == "prefixlen" && words >> value) {
          addr += "/" + value;
          break;
        }
      info.inet6.push_back(addr);
    }
  }
  if (!header) {
    fail(why, "no interface in ifconfig output");
    return std::nullopt;
  }
  return info;
}

std::map<std::string, std::string> parse_sysctl(std::string_view text) {
  std::map<std::string, std::string> out;
  std::string* last = nullptr;
  auto is_name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '%' ||
           c == '-';
  };
  for (auto line : split(text, '\n')) {
    std::size_t n = 0;
    while (n < line.size() && is_name_char(line[n])) ++n;
    const bool entry = n > 0 && n < line.size() && (line[n] == ':' || line[n] == '=') &&
                       line.substr(0, n).find('.') != std::string_view::npos;
    if (entry) {
      auto value = line.substr(n + 1);
      if (line[n] == ':' && !value.empty() && value.front() == ' ') value.remove_prefix(1);
      last = &out[std::string(line.substr(0, n))];
      *last = std::string(value);
    } else if (last && !line.empty()) {
      *last += "\n" + std::string(line);
    }
  }
  return out;
}

std::optional<std::int64_t> sysctl_int(const std::map<std::string, std::string>& values,
                                       const std::string& name) {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  return to_int(it->second);
}

std::optional<passwd_entry> find_passwd(std::string_view passwd_text, std::string_view user) {
  for (auto line : split(passwd_text, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    auto f = split(line, ':');
    if (f.size() < 7 || f[0] != user) continue;
    auto uid = to_int(f[2]);
    auto gid = to_int(f[3]);
    if (!uid || !gid || *uid < 0 || *gid < 0 || *uid > 0xffffffffll || *gid > 0xffffffffll)
      return std::nullopt;
    return passwd_entry{std::string(f[0]), static_cast<std::uint32_t>(*uid),
                        static_cast<std::uint32_t>(*gid), std::string(f[5]),
                        std::string(trim(f[6]))};
  }
  return std::nullopt;
}

std::vector<std::uint32_t> groups_of(std::string_view group_text, std::string_view user,
                                     std::uint32_t primary) {
  std::vector<std::uint32_t> out{primary};
  for (auto line : split(group_text, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    auto f = split(line, ':');
    if (f.size() < 4) continue;
    auto gid = to_int(f[2]);
    if (!gid || *gid < 0 || *gid > 0xffffffffll) continue;
    for (auto member : split(trim(f[3]), ','))
      if (trim(member) == user) {
        const auto g = static_cast<std::uint32_t>(*gid);
        if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
      }
  }
  return out;
}

}  // namespace jaild::host::freebsd
