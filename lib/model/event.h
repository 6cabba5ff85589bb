// An event: one thing that happened, with a sequence number that only grows.
// Events are stored, streamed (GET /v1/events) and resumed by sequence number.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace jaild::model {

struct event {
  std::int64_t seq = 0;        // assigned by the store
  std::int64_t time_ms = 0;    // milliseconds since the epoch
  std::string type;            // "jail.created", "jail.state", "operation.finished", ...
  std::string jail;            // the jail it concerns, or ""
  nlohmann::json data = nlohmann::json::object();

  bool operator==(const event&) const = default;
};

nlohmann::json event_to_json(const event& e);

}  // namespace jaild::model
