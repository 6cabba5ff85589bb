// Addresses as jail(8) writes them: ip4.addr = "em0|192.0.2.5/24".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jaild::model {

struct jail_address {
  std::string iface;      // "" when the address names no interface
  std::string addr;       // canonical text form (inet_ntop)
  int prefix_len = -1;    // -1 when not written
  bool v6 = false;

  // "em0|192.0.2.5/24", "192.0.2.5", ...
  std::string to_string() const;
};

// Parses [iface|]addr[/len] of either family; nullopt and *problem on error.
std::optional<jail_address> parse_jail_address(std::string_view text, bool v6,
                                               std::string* problem);

}  // namespace jaild::model
