#include "lib/model/validate.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "lib/model/address.h"
#include "lib/model/rctl.h"

namespace jaild::model::check {
namespace {

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += "\\x" + std::string(1, "0123456789abcdef"[(c >> 4) & 0xf]) +
             std::string(1, "0123456789abcdef"[c & 0xf]);
    else
      out += c;
  }
  return out + "'";
}

// Parses all of `text` as an unsigned decimal number.
std::optional<std::uint64_t> parse_uint(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string jail_name(std::string_view name) {
  if (name.empty()) return "a jail name cannot be empty";
  if (name.size() > 63)
    return "jail name " + quote(name) + " is longer than 63 characters";
  if (!is_alnum(name.front()))
    return "jail name " + quote(name) + " must start with a letter or a digit";
  for (char c : name) {
    if (c == '.')
      return "jail name " + quote(name) +
             " contains '.', which FreeBSD reads as a parent.child jail";
    if (!is_alnum(c) && c != '_' && c != '-')
      return "jail name " + quote(name) +
             " may contain only letters, digits, '_' and '-'";
  }
  if (name == "import" || name == "export")
    return "jail name " + quote(name) + " is reserved by the API (/v1/jails/" +
           std::string(name) + ")";
  if (std::all_of(name.begin(), name.end(), is_digit))
    return "jail name " + quote(name) + " is all digits, which FreeBSD reserves for JIDs";
  return {};
}

std::string label_key(std::string_view key) {
  if (key.empty()) return "a label key cannot be empty";
  if (key.size() > 63) return "label key " + quote(key) + " is longer than 63 characters";
  if (!is_alnum(key.front()) || !is_alnum(key.back()))
    return "label key " + quote(key) + " must start and end with a letter or a digit";
  for (char c : key)
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-' && c != '/')
      return "label key " + quote(key) + " may contain only letters, digits, '.', '_', '-' and '/'";
  return {};
}

std::string label_value(std::string_view key, std::string_view value) {
  if (value.size() > 255)
    return "the value of label " + quote(key) + " is longer than 255 bytes";
  for (const char ch : value)
    if (const auto c = static_cast<unsigned char>(ch); c < 0x20 || c == 0x7f || c == ',')
      return "the value of label " + quote(key) + " holds a control character or ','";
  return {};
}

std::string hostname(std::string_view name) {
  if (name.empty()) return "a hostname cannot be empty";
  if (name.size() > 255) return "hostname " + quote(name) + " is longer than 255 characters";
  std::string_view rest = name;
  while (true) {
    auto dot = rest.find('.');
    std::string_view label = rest.substr(0, dot);
    if (label.empty())
      return "hostname " + quote(name) + " has an empty label (two dots, or a dot at an end)";
    if (label.size() > 63)
      return "hostname " + quote(name) + " has a label longer than 63 characters";
    if (label.front() == '-' || label.back() == '-')
      return "hostname " + quote(name) + " has a label that starts or ends with '-'";
    for (char c : label)
      if (!is_alnum(c) && c != '-')
        return "hostname " + quote(name) + " may contain only letters, digits, '-' and '.'";
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return {};
}

std::string absolute_path(std::string_view path) {
  if (path.empty()) return "a path cannot be empty";
  if (path.find('\0') != std::string_view::npos) return "a path cannot contain a NUL byte";
  if (path.size() >= 1024) return "path is longer than 1023 bytes (MAXPATHLEN)";
  if (path.front() != '/') return "path " + quote(path) + " is not absolute";
  std::string_view rest = path.substr(1);
  while (!rest.empty()) {
    auto slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (part == "..") return "path " + quote(path) + " contains '..'";
    if (part == ".") return "path " + quote(path) + " contains '.'";
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return {};
}

std::string interface_name(std::string_view name) {
  if (name.empty()) return "an interface name cannot be empty";
  if (name.size() > 15)
    return "interface name " + quote(name) + " is longer than 15 characters (IFNAMSIZ)";
  for (char c : name)
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-')
      return "interface name " + quote(name) +
             " may contain only letters, digits, '_', '.' and '-'";
  return {};
}

std::string ip_address(ip_family family, std::string_view addr) {
  std::string why;
  if (addr.find_first_of("|/") != std::string_view::npos)
    return quote(addr) + " is not a bare IPv" + (family == ip_family::v6 ? "6" : "4") +
           " address";
  if (!parse_jail_address(addr, family == ip_family::v6, &why)) return why;
  return {};
}

std::string jail_address(ip_family family, std::string_view value) {
  std::string why;
  if (!parse_jail_address(value, family == ip_family::v6, &why)) return why;
  return {};
}

std::string cidr_address(ip_family family, std::string_view value) {
  std::string why;
  auto parsed = parse_jail_address(value, family == ip_family::v6, &why);
  if (!parsed) return why;
  if (!parsed->iface.empty())
    return quote(value) + " names an interface; here the address is given as ADDR/LEN";
  if (parsed->prefix_len < 0)
    return quote(value) + " has no prefix length; write it as ADDR/LEN, e.g. 10.0.0.10/24";
  return {};
}

std::string rctl_rule(std::string_view rule) {
  std::string why;
  if (!parse_rctl_rule(rule, &why)) return why;
  return {};
}

std::string cpu_list(std::string_view list) {
  std::string why;
  if (!parse_cpu_list(list, &why)) return why;
  return {};
}

std::string priority(std::int64_t value) {
  if (value < 0 || value > 9999)
    return "priority " + std::to_string(value) + " is outside 0..9999 (lower starts first)";
  return {};
}

std::string param_name(std::string_view name) {
  if (name.empty()) return "a parameter name cannot be empty";
  if (name.size() > 128) return "parameter name " + quote(name) + " is too long";
  bool label_start = true;
  for (char c : name) {
    if (c == '.') {
      if (label_start) return "parameter name " + quote(name) + " has an empty component";
      label_start = true;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
                    c == '_' || c == '-';
    if (!ok)
      return "parameter name " + quote(name) +
             " may contain only letters, digits, '_', '-' and '.'";
    label_start = false;
  }
  if (label_start) return "parameter name " + quote(name) + " ends with '.'";
  return {};
}

std::string mac_address(std::string_view mac) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  if (mac.size() != 17)
    return "MAC address " + quote(mac) + " is not six hex octets like 02:00:5e:10:00:01";
  for (std::size_t i = 0; i < 17; ++i) {
    if (i % 3 == 2 ? mac[i] != ':' : !hex(mac[i]))
      return "MAC address " + quote(mac) + " is not six hex octets like 02:00:5e:10:00:01";
  }
  const int first = std::stoi(std::string(mac.substr(0, 2)), nullptr, 16);
  if (first & 1) return "MAC address " + quote(mac) + " is a multicast address";
  return {};
}

std::string tcp_target(std::string_view target) {
  std::string_view port = target;
  if (auto colon = target.rfind(':'); colon != std::string_view::npos) {
    std::string_view host = target.substr(0, colon);
    port = target.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      if (auto why = ip_address(ip_family::v6, host.substr(1, host.size() - 2)); !why.empty())
        return why;
    } else if (host.empty() ||
               (!ip_address(ip_family::v4, host).empty() && !hostname(host).empty())) {
      return quote(target) + " is not HOST:PORT (an IPv4 address, [IPv6] or a hostname)";
    }
  }
  auto value = parse_uint(port);
  if (!value || *value == 0 || *value > 65535)
    return quote(target) + " has no TCP port from 1 to 65535";
  return {};
}

std::string http_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme))
    return "health URL " + quote(url) + " must start with http://";
  std::string_view rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (authority.empty()) return "health URL " + quote(url) + " has no host";
  if (authority.find(':') == std::string_view::npos) {
    if (!ip_address(ip_family::v4, authority).empty() && !hostname(authority).empty())
      return "health URL " + quote(url) + " has a bad host";
  } else if (auto why = tcp_target(authority); !why.empty()) {
    return "health URL " + quote(url) + ": " + why;
  }
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return "health URL " + quote(url) + " contains a space or control character";
  return {};
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::string* problem) {
  using std::chrono::milliseconds;
  auto fail = [&](std::string why) -> std::optional<milliseconds> {
    if (problem) *problem = std::move(why);
    return std::nullopt;
  };
  const std::string bad = "duration " + quote(text) +
                          " is not like 500ms, 10s, 2m, 1h or 1m30s";
  if (text.empty()) return fail("a duration cannot be empty");
  std::int64_t total = 0;
  if (auto plain = parse_uint(text)) {
    // jail.conf writes exec.timeout and stop.timeout as bare seconds.
    if (*plain > 86400) return fail("duration " + quote(text) + " is longer than 24 hours");
    total = static_cast<std::int64_t>(*plain) * 1000;
  } else {
    std::string_view rest = text;
    while (!rest.empty()) {
      std::size_t digits = 0;
      while (digits < rest.size() && is_digit(rest[digits])) ++digits;
      if (digits == 0 || digits > 9) return fail(bad);
      auto number = static_cast<std::int64_t>(*parse_uint(rest.substr(0, digits)));
      rest.remove_prefix(digits);
      std::int64_t unit = 0;
      if (rest.starts_with("ms")) {
        unit = 1, rest.remove_prefix(2);
      } else if (rest.starts_with("s")) {
        unit = 1000, rest.remove_prefix(1);
      } else if (rest.starts_with("m")) {
        unit = 60'000, rest.remove_prefix(1);
      } else if (rest.starts_with("h")) {
        unit = 3'600'000, rest.remove_prefix(1);
      } else {
        return fail(bad);
      }
      total += number * unit;
      if (total > 86'400'000) return fail("duration " + quote(text) + " is longer than 24 hours");
    }
  }
  if (total <= 0) return fail("duration " + quote(text) + " must be longer than zero");
  return milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<std::vector<int>> parse_cpu_list(std::string_view list, std::string* problem) {
  auto fail = [&](std::string why) -> std::optional<std::vector<int>> {
    if (problem) *problem = std::move(why);
    return std::nullopt;
  };
  constexpr std::uint64_t max_cpu = 1023;
  if (list.empty()) return fail("a CPU list cannot be empty");
  std::vector<int> cpus;
  std::string_view rest = list;
  while (true) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    auto dash = item.find('-');
    auto lo = parse_uint(item.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : parse_uint(item.substr(dash + 1));
    if (!lo || !hi)
      return fail("CPU list " + quote(list) + " is not like 0-1,4 (item " + quote(item) + ")");
    if (*lo > max_cpu || *hi > max_cpu)
      return fail("CPU list " + quote(list) + " names a CPU above " + std::to_string(max_cpu));
    if (*lo > *hi)
      return fail("CPU list " + quote(list) + " has a descending range " + quote(item));
    for (auto cpu = *lo; cpu <= *hi; ++cpu) cpus.push_back(static_cast<int>(cpu));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::optional<std::uint64_t> parse_rctl_amount(std::string_view amount, std::string* problem) {
  auto fail = [&](std::string why) -> std::optional<std::uint64_t> {
    if (problem) *problem = std::move(why);
    return std::nullopt;
  };
  if (amount.empty()) return fail("the amount is missing");
  std::size_t digits = 0;
  while (digits < amount.size() && is_digit(amount[digits])) ++digits;
  auto number = parse_uint(amount.substr(0, digits));
  if (!number)
    return fail("amount " + quote(amount) + " is not a number with an optional k/m/g/t/p/e suffix");
  std::string_view suffix = amount.substr(digits);
  unsigned shift = 0;
  if (suffix.size() > 1)
    return fail("amount " + quote(amount) + " has an unknown suffix");
  if (suffix.size() == 1) {
    switch (std::tolower(static_cast<unsigned char>(suffix[0]))) {
      case 'k': shift = 10; break;
      case 'm': shift = 20; break;
      case 'g': shift = 30; break;
      case 't': shift = 40; break;
      case 'p': shift = 50; break;
      case 'e': shift = 60; break;
      default: return fail("amount " + quote(amount) + " has an unknown suffix");
    }
  }
  if (shift && *number > (std::numeric_limits<std::uint64_t>::max() >> shift))
    return fail("amount " + quote(amount) + " is too large");
  return *number << shift;
}

}  // namespace jaild::model::check
