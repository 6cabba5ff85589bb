#include "lib/host/linux/passwd.h"

#include <charconv>

#include "lib/model/text.h"

namespace jaild::host::linux_host {
namespace {

using model::split;

std::optional<unsigned> id(std::string_view s) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<jail_user> resolve_user(std::string_view user, std::string_view passwd_text,
                                      std::string_view group_text) {
  if (user.empty()) user = "0";
  const auto numeric = id(user);
  std::optional<jail_user> found;
  for (auto line : split(passwd_text, '\n')) {
    // name:password:uid:gid:gecos:home:shell
    auto f = split(line, ':');
    if (f.size() < 7 || f[0].empty() || f[0][0] == '#') continue;
    auto uid = id(f[2]);
    auto gid = id(f[3]);
    if (!uid || !gid) continue;
    const bool match = numeric ? *uid == *numeric : f[0] == user;
    if (!match) continue;
    found = jail_user{*uid, *gid, {}, std::string(f[0]), f[5].empty() ? "/" : std::string(f[5]),
                      f[6].empty() ? "/bin/sh" : std::string(f[6])};
    break;
  }
  if (!found) {
    if (!numeric) return std::nullopt;
    return jail_user{*numeric, *numeric, {}, "", "/", "/bin/sh"};
  }
  found->groups.push_back(found->gid);
  for (auto line : split(group_text, '\n')) {
    // name:password:gid:member,member
    auto f = split(line, ':');
    if (f.size() < 4 || f[0].empty() || f[0][0] == '#') continue;
    auto gid = id(f[2]);
    if (!gid || *gid == found->gid) continue;
    for (auto member : split(f[3], ','))
      if (!member.empty() && member == found->name) found->groups.push_back(*gid);
  }
  return found;
}

}  // namespace jaild::host::linux_host
