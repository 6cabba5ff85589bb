// User lookup for exec into a jail: the jail's own /etc/passwd and /etc/group
// decide who "www" is, not the host's. Pure functions over the file texts.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jaild::host::linux_host {

struct jail_user {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, from /etc/group
  std::string name;           // "" for a numeric user not in passwd
  std::string home = "/";
  std::string shell = "/bin/sh";  // the login shell (jailctl console)
};

// Resolves "www", "1001" or "" (root). A numeric user that passwd does not
// know runs with gid = uid and no supplementary groups. Returns nullopt for a
// name that passwd does not know.
std::optional<jail_user> resolve_user(std::string_view user, std::string_view passwd_text,
                                      std::string_view group_text);

}  // namespace jaild::host::linux_host
