// The launcher: starts waiting for their dependencies, and how many starts
// run. A pass over the waiting starts decides, for each, to launch it (its
// dependencies are ready and a start slot is free), fail it (a dependency
// cannot become ready, or its deadline passed) or keep it waiting; the
// launched and failed leave the launcher before the pass returns, so that
// whatever the caller does with them (finishing an operation runs another
// pass) never meets a half-done pass.
//
// The launcher knows nothing of jails' runtimes: the caller says, through
// `dependency`, what each dependency is doing. Time comes in as `now`, so a
// test drives deadlines without sleeping.
//
// Threads: any thread; its lock is a leaf (taken after the engine's runtime
// lock, and `dependency` must not take the launcher's).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/engine/operation.h"
#include "lib/engine/sync.h"
#include "lib/model/error.h"

namespace jaild::engine {

class launcher {
 public:
  using clock = std::chrono::steady_clock;

  // What a dependency of a waiting start is doing.
  enum class dependency_state {
    ready,      // it may be depended on now
    coming,     // on its way up (starting, health starting, restart due, waiting itself)
    missing,    // not defined
    down,       // neither: it will not come up by itself
  };
  // `detail` is filled for down (the dependency's state and last error).
  using dependency_fn =
      std::function<dependency_state(const std::string& dep, std::string& detail)>;
  // A waiting start's dependencies, read from the current specs; nullopt
  // when the jail itself is no longer defined.
  using depends_fn = std::function<std::optional<std::vector<std::string>>(const std::string&)>;

  struct failure {
    std::shared_ptr<operation> op;
    errc code;
    std::string message;
  };
  struct decisions {
    std::vector<std::shared_ptr<operation>> launch;  // by priority, then name
    std::vector<failure> fail;
    std::optional<clock::time_point> next_deadline;  // of the starts still waiting
  };

  explicit launcher(unsigned parallel_starts) : parallel_(parallel_starts) {}
  launcher(const launcher&) = delete;
  launcher& operator=(const launcher&) = delete;

  // A start that waits until its dependencies are ready, or `deadline`.
  void add(std::shared_ptr<operation> op, int priority, clock::time_point deadline)
      EXCLUDES(mutex_);
  // The waiting start of `jail`, or null.
  std::shared_ptr<operation> waiting(const std::string& jail) const EXCLUDES(mutex_);
  // Takes the waiting starts of `jail` out (a stop supersedes them) and
  // returns them; the caller fails and finishes them.
  std::vector<std::shared_ptr<operation>> cancel(const std::string& jail) EXCLUDES(mutex_);
  // Whether `jail` has a start waiting or launched and not yet ended.
  bool on_its_way(const std::string& jail) const EXCLUDES(mutex_);
  // A launched start of `jail` ended: its slot is free again.
  void ended(const std::string& jail) EXCLUDES(mutex_);

  decisions pass(clock::time_point now, const depends_fn& depends,
                 const dependency_fn& dependency, const std::string& timeout_text)
      EXCLUDES(mutex_);

  std::size_t waiting_count() const EXCLUDES(mutex_);
  unsigned running() const EXCLUDES(mutex_);

 private:
  struct entry {
    std::shared_ptr<operation> op;
    int priority = 99;
    clock::time_point deadline;
  };

  const unsigned parallel_;
  mutable mutex mutex_;
  std::deque<entry> waiting_ GUARDED_BY(mutex_);
  unsigned running_ GUARDED_BY(mutex_) = 0;
  std::map<std::string, int> launched_ GUARDED_BY(mutex_);  // per jail, not yet ended
};

}  // namespace jaild::engine
