// The per-jail operation queue (DESIGN.md section 5): data, not threads.
//
// Each jail (a lane) has a FIFO of operations; only its head runs, one at a
// time. An operation may also wait for other operations (on any lane) to
// finish first, as a cascade stop waits for its dependents' stops. Nothing
// waits on a thread: push() posts the head when it may run, finished() posts
// what the end made runnable (the lane's next operation, the operations and
// continuations that waited for it). Tasks are posted through the function
// given at construction (the engine's scheduler::post; a test's own list).
//
// Thread-safety: every member is guarded by mutex_. Tasks are posted after
// mutex_ is released; the queue never calls out under it, so it may be used
// under any other lock (lock order: engine's runtime_mutex_, then this).
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "lib/engine/sync.h"

namespace jaild::engine {

class op_queue {
 public:
  using task = std::function<void()>;
  using poster = std::function<void(task)>;

  explicit op_queue(poster post) : post_(std::move(post)) {}

  op_queue(const op_queue&) = delete;
  op_queue& operator=(const op_queue&) = delete;

  // Queues `run` (operation `id`) on `lane`: it is posted once it is the
  // lane's head and every operation in `after` has finished (ids that are not
  // queued or have finished already are not waited for). `run` must end
  // with finished(id), whatever happens.
  void push(const std::string& lane, const std::string& id, const std::vector<std::string>& after,
            task run) EXCLUDES(mutex_);
  // Posts `t` once every operation in `after` has finished; holds no lane.
  void then(const std::vector<std::string>& after, task t) EXCLUDES(mutex_);
  // Operation `id` has ended (or never ran): it leaves its lane, and what
  // waited for it may now be posted. Harmless for an unknown id.
  void finished(const std::string& id) EXCLUDES(mutex_);

  // Operations queued or running on `lane`.
  std::size_t depth(const std::string& lane) const EXCLUDES(mutex_);
  // The id of the lane's running operation, or empty.
  std::string running(const std::string& lane) const EXCLUDES(mutex_);
  // Whether `id` is queued or running.
  bool pending(const std::string& id) const EXCLUDES(mutex_);

 private:
  struct item {
    std::string id, lane;
    std::set<std::string> after;  // unfinished prerequisites
    task run;
  };
  struct lane_state {
    std::deque<std::shared_ptr<item>> items;  // the head first
    bool posted = false;                      // the head was posted and has not finished
  };

  // The lane's head, if it may run now and is not yet posted.
  void take_ready(lane_state& lane, std::vector<task>& out) REQUIRES(mutex_);
  void post_all(std::vector<task>& tasks) EXCLUDES(mutex_);

  const poster post_;
  mutable mutex mutex_;
  std::map<std::string, lane_state> lanes_ GUARDED_BY(mutex_);
  std::map<std::string, std::shared_ptr<item>> items_ GUARDED_BY(mutex_);  // by id
  std::vector<std::shared_ptr<item>> continuations_ GUARDED_BY(mutex_);     // then(): no lane
};

}  // namespace jaild::engine
