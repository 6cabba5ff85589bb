#include "lib/model/jail_status.h"

#include <array>
#include <utility>

namespace jaild::model {
namespace {

constexpr std::array<std::pair<jail_state, std::string_view>, 6> state_names{{
    {jail_state::stopped, "stopped"},
    {jail_state::starting, "starting"},
    {jail_state::running, "running"},
    {jail_state::stopping, "stopping"},
    {jail_state::failed, "failed"},
    {jail_state::crashloop, "crashloop"},
}};

constexpr std::array<std::pair<health_state, std::string_view>, 4> health_names{{
    {health_state::none, "none"},
    {health_state::starting, "starting"},
    {health_state::healthy, "healthy"},
    {health_state::unhealthy, "unhealthy"},
}};

}  // namespace

std::string_view jail_state_name(jail_state s) {
  for (const auto& [state, name] : state_names)
    if (state == s) return name;
  return "stopped";
}

std::optional<jail_state> jail_state_from_name(std::string_view name) {
  for (const auto& [state, n] : state_names)
    if (n == name) return state;
  return std::nullopt;
}

std::string_view health_state_name(health_state s) {
  for (const auto& [state, name] : health_names)
    if (state == s) return name;
  return "none";
}

nlohmann::json status_to_json(const jail_status& s) {
  using nlohmann::json;
  return {
      {"state", jail_state_name(s.state)},
      {"jid", s.jid ? json(*s.jid) : json(nullptr)},
      {"started_at", s.started_at ? json(*s.started_at) : json(nullptr)},
      {"restarts", s.restarts},
      {"health", health_state_name(s.health)},
      {"addresses", s.addresses},
      {"ports", s.ports},
      {"last_error", s.last_error},
      {"operation", s.operation.empty() ? json(nullptr) : json(s.operation)},
      {"warnings", s.warnings},
      {"drift", s.drift},
  };
}

jail_status status_from_json(const nlohmann::json& j) {
  jail_status s;
  if (auto it = j.find("state"); it != j.end() && it->is_string())
    s.state = jail_state_from_name(it->get<std::string>()).value_or(jail_state::stopped);
  if (auto it = j.find("jid"); it != j.end() && it->is_number_integer())
    s.jid = it->get<std::int64_t>();
  if (auto it = j.find("started_at"); it != j.end() && it->is_number_integer())
    s.started_at = it->get<std::int64_t>();
  if (auto it = j.find("restarts"); it != j.end() && it->is_number_integer())
    s.restarts = it->get<int>();
  if (auto it = j.find("health"); it != j.end() && it->is_string()) {
    for (const auto& [state, name] : health_names)
      if (name == it->get<std::string>()) s.health = state;
  }
  if (auto it = j.find("addresses"); it != j.end() && it->is_array())
    s.addresses = it->get<std::vector<std::string>>();
  if (auto it = j.find("ports"); it != j.end() && it->is_array())
    s.ports = it->get<std::vector<std::string>>();
  if (auto it = j.find("last_error"); it != j.end() && it->is_string())
    s.last_error = it->get<std::string>();
  if (auto it = j.find("operation"); it != j.end() && it->is_string())
    s.operation = it->get<std::string>();
  if (auto it = j.find("warnings"); it != j.end() && it->is_array())
    s.warnings = it->get<std::vector<std::string>>();
  if (auto it = j.find("drift"); it != j.end() && it->is_boolean()) s.drift = it->get<bool>();
  return s;
}

}  // namespace jaild::model
