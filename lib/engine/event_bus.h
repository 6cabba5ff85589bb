// Events: each is stored first (the store gives it its sequence number), then
// handed to every subscriber (the SSE stream, metrics, the status page), all
// under one lock, so that subscribers see events in sequence order and a
// stream can resume by sequence number.
//
// Threads: any thread may emit or subscribe. Listeners run on the emitting
// thread with the bus's lock held: they must not block and must not emit.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lib/engine/sync.h"
#include "lib/model/event.h"
#include "lib/store/store.h"

namespace jaild::engine {

class event_bus {
 public:
  using listener = std::function<void(const model::event&)>;

  explicit event_bus(store::store& db) : store_(db) {}
  event_bus(const event_bus&) = delete;
  event_bus& operator=(const event_bus&) = delete;

  std::uint64_t subscribe(listener l) EXCLUDES(mutex_);
  void unsubscribe(std::uint64_t id) EXCLUDES(mutex_);

  // Stores `ev` and hands it on; returns it with its sequence number.
  model::event emit(model::event ev) EXCLUDES(mutex_);
  // Runs `write`, a store call that writes its rows and their events in one
  // transaction and returns the events (one, an optional one or a list),
  // then hands them on; returns what `write` returned. Every write that
  // carries an event goes through here, so that none is announced out of
  // sequence.
  template <typename Write>
  auto stored(Write&& write) EXCLUDES(mutex_) {
    guard lock(mutex_);
    auto events = write();
    deliver_all(events);
    return events;
  }

  // Reading back (GET /v1/events, a stream's catch-up, /metrics).
  store::store::event_page read(std::int64_t after, std::size_t limit, const std::string& jail = {});
  std::int64_t last_sequence();

 private:
  void deliver(const model::event& ev) REQUIRES(mutex_);
  void deliver_all(const model::event& ev) REQUIRES(mutex_) { deliver(ev); }
  void deliver_all(const std::optional<model::event>& ev) REQUIRES(mutex_) {
    if (ev) deliver(*ev);
  }
  void deliver_all(const std::vector<model::event>& evs) REQUIRES(mutex_) {
    for (const auto& ev : evs) deliver(ev);
  }

  store::store& store_;  // thread-safe on its own
  mutex mutex_;
  std::map<std::uint64_t, listener> listeners_ GUARDED_BY(mutex_);
  std::uint64_t next_id_ GUARDED_BY(mutex_) = 1;
};

}  // namespace jaild::engine
