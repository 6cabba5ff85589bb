#include "lib/host/linux/proc_text.h"

#include <charconv>

#include "lib/model/text.h"

namespace jaild::host::linux_host {
namespace {

using model::split;

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

template <typename T>
std::optional<T> number(std::string_view s, int base = 10) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// The fields after "(comm)": comm may hold spaces and parentheses, so the
// last ')' ends it. Index 0 is field 3 (state).
std::vector<std::string_view> stat_fields(std::string_view stat) {
  auto close = stat.rfind(')');
  if (close == std::string_view::npos) return {};
  return words(stat.substr(close + 1));
}

std::optional<std::string_view> status_value(std::string_view status, std::string_view key) {
  for (auto line : split(status, '\n')) {
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':')
      return line.substr(key.size() + 1);
  }
  return std::nullopt;
}

std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      if (auto octal = number<int>(s.substr(i + 1, 3), 8)) {
        out.push_back(static_cast<char>(*octal));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

std::optional<std::uint64_t> stat_start_time(std::string_view stat) {
  auto f = stat_fields(stat);
  if (f.size() < 20) return std::nullopt;
  return number<std::uint64_t>(f[19]);  // field 22
}

std::optional<std::uint64_t> stat_cpu_ticks(std::string_view stat) {
  auto f = stat_fields(stat);
  if (f.size() < 13) return std::nullopt;
  auto u = number<std::uint64_t>(f[11]);  // field 14
  auto s = number<std::uint64_t>(f[12]);  // field 15
  if (!u || !s) return std::nullopt;
  return *u + *s;
}

std::optional<std::int64_t> status_innermost_pid(std::string_view status) {
  auto v = status_value(status, "NSpid");
  if (!v) return std::nullopt;
  auto w = words(*v);
  if (w.empty()) return std::nullopt;
  return number<std::int64_t>(w.back());
}

std::optional<std::uint64_t> status_capability_bounding_set(std::string_view status) {
  auto v = status_value(status, "CapBnd");
  if (!v) return std::nullopt;
  auto w = words(*v);
  if (w.size() != 1) return std::nullopt;
  return number<std::uint64_t>(w[0], 16);
}

std::vector<cgroup_membership> parse_proc_cgroup(std::string_view text) {
  std::vector<cgroup_membership> out;
  for (auto line : split(text, '\n')) {
    if (line.empty()) continue;
    auto first = line.find(':');
    auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    auto id = number<int>(line.substr(0, first));
    if (!id) continue;
    cgroup_membership m;
    m.hierarchy = *id;
    auto controllers = line.substr(first + 1, second - first - 1);
    if (!controllers.empty())
      for (auto c : split(controllers, ',')) m.controllers.emplace_back(c);
    m.path = std::string(line.substr(second + 1));
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<mount_entry> parse_mountinfo(std::string_view text) {
  // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
  std::vector<mount_entry> out;
  for (auto line : split(text, '\n')) {
    auto w = words(line);
    if (w.size() < 7) continue;
    std::size_t dash = 6;
    while (dash < w.size() && w[dash] != "-") ++dash;
    if (dash + 3 > w.size()) continue;
    mount_entry m;
    m.root = unescape(w[3]);
    m.mount_point = unescape(w[4]);
    m.fstype = std::string(w[dash + 1]);
    m.source = unescape(w[dash + 2]);
    if (dash + 3 < w.size())
      for (auto o : split(w[dash + 3], ',')) m.super_options.emplace_back(o);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace jaild::host::linux_host
