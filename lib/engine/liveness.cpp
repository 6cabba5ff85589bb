// The safety net under event-driven crash detection (DESIGN.md 5): every
// liveness_interval, each jail the engine holds running is looked up on the
// host with host::alive(). On FreeBSD that is jail_get(2) by the jail's name,
// with the JID compared, so that a JID the kernel gave to another jail since
// is never taken for this one; on Linux, the init's pidfd with its start time.
// A jail that is gone is handled as an exit its watcher missed: FreeBSD 13 and
// 14 have no event for a jail removed while it held no process jaild followed
// (`jail -r` on a persistent jail), and a watcher can miss an end in a race.
// The loop starts with the first jail the engine watches, so that it never
// runs before reconcile() has adopted what runs.
#include <spdlog/spdlog.h>

#include "lib/engine/engine.h"
#include "lib/engine/runtime.h"

namespace jaild::engine {

void engine::start_liveness() {
  if (options_.liveness_interval.count() <= 0 || liveness_started_.exchange(true)) return;
  sched_->after(options_.liveness_interval, [this] { check_liveness(); });
}

void engine::check_liveness() {
  if (shutting_down_) return;
  struct held {
    std::string name, instance;
    host::running_jail handle;
  };
  std::vector<held> running;
  {
    guard lock(runtime_mutex_);
    for (const auto& [name, rt] : runtimes_)
      if (rt->handle && rt->state == model::jail_state::running)
        running.push_back({name, rt->instance, *rt->handle});
  }
  // Host calls without the lock: handle_exit checks the instance and the state
  // again, so a jail stopped or restarted meanwhile is left alone.
  for (const auto& j : running) {
    bool alive = true;
    try {
      alive = host_.alive(j.handle);
    } catch (const std::exception& e) {
      spdlog::warn("liveness of jail {}: {}", j.name, e.what());
    }
    if (alive) continue;
    spdlog::warn("jail {} (JID {}) is gone and no watcher said so: handled as its exit", j.name,
                 j.handle.jid);
    on_exit(j.name, j.instance, {-1, false});
  }
  if (!shutting_down_) sched_->after(options_.liveness_interval, [this] { check_liveness(); });
}

}  // namespace jaild::engine
