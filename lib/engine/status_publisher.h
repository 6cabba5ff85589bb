// The read side's writer: owns the current snapshot (snapshot.h) and swaps
// in a new one whenever a jail's spec or status changes. Readers take the
// current snapshot and never wait for a writer's work, only for the pointer.
// A status-only change keeps the snapshot's dependency graph; a change of
// the specs makes it again.
//
// Threads: any thread. The lock guards only the pointer and the version;
// a new snapshot is built before it is taken.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "lib/engine/snapshot.h"
#include "lib/engine/sync.h"

namespace jaild::engine {

class status_publisher {
 public:
  status_publisher();
  status_publisher(const status_publisher&) = delete;
  status_publisher& operator=(const status_publisher&) = delete;

  std::shared_ptr<const snapshot> current() const EXCLUDES(mutex_);
  // A new set of jails (loading, a desired-state write).
  void replace(snapshot::map jails) EXCLUDES(mutex_);
  // One jail's status; nothing when the jail is not in the snapshot (it was
  // deleted meanwhile).
  void set_status(const std::string& name, model::jail_status status) EXCLUDES(mutex_);
  void remove(const std::string& name) EXCLUDES(mutex_);

 private:
  // Writers are serialised by the lock, so that a status computed from a
  // snapshot is never laid over a newer one.
  mutable mutex mutex_;
  std::shared_ptr<const snapshot> snapshot_ GUARDED_BY(mutex_);
  std::int64_t version_ GUARDED_BY(mutex_) = 0;
};

}  // namespace jaild::engine
