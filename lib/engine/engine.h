// The engine: owner of every jail's desired state and lifecycle. The API calls
// it and nothing else; it calls the store and the Host port.
//
// Writes are blocking (they end in an fsync) and are called from the blocking
// pool. Reads take the current snapshot (snapshot.h) and never block.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/engine/snapshot.h"
#include "lib/host/host.h"
#include "lib/model/event.h"
#include "lib/model/jail_spec.h"
#include "lib/store/store.h"

namespace jaild::engine {

class engine {
 public:
  engine(store::store& db, host::host& platform);
  ~engine();

  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // Loads the stored specs into the first snapshot.
  void load();

  std::shared_ptr<const snapshot> current() const;

  // Desired state. Each throws jaild::error and, when it throws, has changed
  // nothing (neither the store nor the snapshot).
  std::shared_ptr<const jail_entry> create_jail(const model::jail_spec& spec);
  std::shared_ptr<const jail_entry> replace_jail(const model::jail_spec& spec);
  // RFC 7396 merge patch over the spec's JSON; the result is validated whole.
  std::shared_ptr<const jail_entry> patch_jail(const std::string& name,
                                               const nlohmann::json& patch);
  void delete_jail(const std::string& name, bool force);

  host::host& platform() { return host_; }

  // Called with every event after it is stored (the SSE stream, metrics).
  using event_listener = std::function<void(const model::event&)>;
  void on_event(event_listener listener);

 private:
  std::shared_ptr<const jail_entry> require(const std::string& name) const;
  void publish(std::shared_ptr<const snapshot> next);
  void emit(const model::event& ev);

  store::store& store_;
  host::host& host_;

  // Serialises writers: a write reads the current snapshot, stores, then publishes.
  std::mutex write_mutex_;
  mutable std::mutex snapshot_mutex_;
  std::shared_ptr<const snapshot> snapshot_;
  std::atomic<std::int64_t> version_{0};

  std::mutex listeners_mutex_;
  std::vector<event_listener> listeners_;
};

}  // namespace jaild::engine
