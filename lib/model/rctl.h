// RCTL rules in rctl(8)'s vocabulary. A jail spec carries rules without their
// subject ("memoryuse:deny=512M"); the FreeBSD adapter prefixes "jail:NAME:",
// the Linux adapter translates the few it can to cgroups and rlimits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jaild::model {

struct rctl_rule {
  std::string resource;  // "memoryuse"
  std::string action;    // "deny", "log", "devctl", "throttle", "sigterm", ...
  std::uint64_t amount = 0;
  std::string amount_text;  // as written ("512M"), kept for round trips
  std::string per;          // "" or process | user | loginclass | jail

  // "memoryuse:deny=512M" (the text as written, normalised only in case).
  std::string to_string() const;
};

// Parses and validates; on error returns nullopt and sets *problem.
std::optional<rctl_rule> parse_rctl_rule(std::string_view text, std::string* problem);

// Whether rctl(8) knows the resource (cputime, memoryuse, pcpu, ...).
bool is_rctl_resource(std::string_view resource);

}  // namespace jaild::model
