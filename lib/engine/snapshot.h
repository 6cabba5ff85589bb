// The read side of jaild: an immutable picture of every jail (spec, status and
// their JSON, serialised once), swapped atomically whenever a jail changes.
// API reads take the current snapshot and never touch SQLite or the kernel,
// so GET /v1/jails costs the same with one client or a hundred.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "lib/model/jail_spec.h"
#include "lib/model/jail_status.h"

namespace jaild::engine {

struct jail_entry {
  model::jail_spec spec;
  model::jail_status status;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t generation = 0;
  std::string json;  // {"spec":{...},"status":{...}}, serialised once
};

std::shared_ptr<const jail_entry> make_entry(jail_entry entry);

class snapshot {
 public:
  using map = std::map<std::string, std::shared_ptr<const jail_entry>, std::less<>>;

  explicit snapshot(map jails, std::int64_t version);

  const map& jails() const { return jails_; }
  std::shared_ptr<const jail_entry> find(std::string_view name) const;
  std::int64_t version() const { return version_; }
  // How many jails are running, counted once (GET /v1/health asks on every call).
  std::size_t running() const { return running_; }

  // {"jails":[...]} for GET /v1/jails, built on first use and then kept.
  const std::string& list_json() const;

 private:
  map jails_;
  std::int64_t version_;
  std::size_t running_ = 0;
  mutable std::once_flag list_once_;
  mutable std::string list_json_;
};

}  // namespace jaild::engine
