// The jail status: what the kernel and the supervisor observe, next to the
// spec. Status is never written by a client.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace jaild::model {

enum class jail_state { stopped, starting, running, stopping, failed, crashloop };

std::string_view jail_state_name(jail_state s);
std::optional<jail_state> jail_state_from_name(std::string_view name);

enum class health_state { none, starting, healthy, unhealthy };

std::string_view health_state_name(health_state s);

struct jail_status {
  jail_state state = jail_state::stopped;
  std::optional<std::int64_t> jid;        // FreeBSD JID; on Linux the init's PID in the host
  std::optional<std::int64_t> started_at; // milliseconds since the epoch
  int restarts = 0;
  health_state health = health_state::none;
  std::vector<std::string> addresses;     // what the jail really has, "10.0.0.10/24"
  std::vector<std::string> ports;         // the published ports applied to the running jail
  std::string last_error;
  std::string operation;                  // id of the operation in progress, if any
  std::vector<std::string> warnings;      // e.g. a restriction the platform does not enforce
  bool drift = false;                     // the running jail differs from its spec

  bool operator==(const jail_status&) const = default;
};

nlohmann::json status_to_json(const jail_status& s);
jail_status status_from_json(const nlohmann::json& j);

}  // namespace jaild::model
