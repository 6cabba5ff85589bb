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
#include <vector>

#include "lib/model/jail_spec.h"
#include "lib/model/jail_status.h"
#include "lib/plan/graph.h"

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

  using graph_nodes = std::shared_ptr<const std::vector<plan::node>>;

  // `graph`: the jails' dependency graph, when the caller has it from an
  // earlier snapshot with the same specs; made from `jails` when null.
  snapshot(map jails, std::int64_t version, graph_nodes graph = nullptr);

  const map& jails() const { return jails_; }
  // Every jail as a node of the dependency graph (name, priority, depend),
  // made once per set of specs and shared by the snapshots that differ only
  // in status.
  const std::vector<plan::node>& graph() const { return *graph_; }
  const graph_nodes& shared_graph() const { return graph_; }
  std::shared_ptr<const jail_entry> find(std::string_view name) const;
  std::int64_t version() const { return version_; }
  // How many jails are running, counted once (GET /v1/health asks on every call).
  std::size_t running() const { return running_; }

  // {"jails":[...]} for GET /v1/jails, built on first use and then kept.
  const std::string& list_json() const;

 private:
  map jails_;
  std::int64_t version_;
  graph_nodes graph_;
  std::size_t running_ = 0;
  mutable std::once_flag list_once_;
  mutable std::string list_json_;
};

}  // namespace jaild::engine
