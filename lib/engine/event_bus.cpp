#include "lib/engine/event_bus.h"

namespace jaild::engine {

std::uint64_t event_bus::subscribe(listener l) {
  guard lock(mutex_);
  const auto id = next_id_++;
  listeners_.emplace(id, std::move(l));
  return id;
}

void event_bus::unsubscribe(std::uint64_t id) {
  guard lock(mutex_);
  listeners_.erase(id);
}

model::event event_bus::emit(model::event ev) {
  guard lock(mutex_);
  ev = store_.append_event(std::move(ev));
  deliver(ev);
  return ev;
}

store::store::event_page event_bus::read(std::int64_t after, std::size_t limit,
                                  const std::string& jail) {
  return store_.read_events(after, limit, jail);
}

std::int64_t event_bus::last_sequence() { return store_.last_event_seq(); }

void event_bus::deliver(const model::event& ev) {
  for (const auto& [id, l] : listeners_) l(ev);
}

}  // namespace jaild::engine
