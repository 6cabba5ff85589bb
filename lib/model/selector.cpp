#include "lib/model/selector.h"

#include <algorithm>

#include <fmt/format.h>

#include "lib/model/error.h"
#include "lib/model/validate.h"

namespace jaild::model {
namespace {

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> out;
  while (true) {
    const auto comma = text.find(',');
    out.push_back(text.substr(0, comma));
    if (comma == std::string_view::npos) return out;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace

bool jail_selector::matches(const jail_spec& spec, const jail_status& status) const {
  if (!states.empty() && std::find(states.begin(), states.end(), status.state) == states.end())
    return false;
  for (const auto& m : labels) {
    auto it = spec.labels.find(m.key);
    if (it == spec.labels.end() || (m.value && it->second != *m.value)) return false;
  }
  return true;
}

jail_selector parse_selector(const std::optional<std::string>& label,
                             const std::optional<std::string>& state) {
  jail_selector s;
  if (label) {
    for (auto term : split(*label)) {
      const auto eq = term.find('=');
      jail_selector::label_match m{std::string(term.substr(0, eq)), std::nullopt};
      if (eq != std::string_view::npos) m.value = std::string(term.substr(eq + 1));
      if (auto why = check::label_key(m.key); !why.empty())
        throw error(errc::bad_request, "label=" + *label + ": " + why);
      s.labels.push_back(std::move(m));
    }
  }
  if (state) {
    for (auto name : split(*state)) {
      auto st = jail_state_from_name(name);
      if (!st)
        throw error(errc::bad_request,
                    fmt::format("state={}: '{}' is not one of stopped, starting, running, "
                                "stopping, failed, crashloop",
                                *state, name));
      s.states.push_back(*st);
    }
  }
  return s;
}

}  // namespace jaild::model
