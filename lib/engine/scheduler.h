// The engine's threads: a pool of workers that run operations, probes and
// callbacks, and one timer thread for delays (restart backoff, health
// intervals, readiness deadlines). Timers never run work themselves: they
// post it to the workers. No polling: the timer thread sleeps until the
// earliest deadline or a change.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace jaild::engine {

class scheduler {
 public:
  using task = std::function<void()>;
  using clock = std::chrono::steady_clock;

  explicit scheduler(unsigned workers);
  ~scheduler();

  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  // Runs `t` on a worker. After stop(), tasks are dropped.
  void post(task t);
  // Posts `t` after `delay`; returns an id for cancel().
  std::uint64_t after(std::chrono::milliseconds delay, task t);
  // Cancels a timer that has not fired; harmless for a fired or unknown id.
  void cancel(std::uint64_t id);

  // Drops pending timers and queued tasks, waits for running tasks, joins.
  void stop();

 private:
  void work();
  void tick();

  std::mutex mutex_;
  std::condition_variable work_cv_, timer_cv_;
  std::deque<task> queue_;
  std::multimap<clock::time_point, std::uint64_t> deadlines_;
  std::map<std::uint64_t, std::pair<clock::time_point, task>> timers_;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::thread timer_thread_;
};

}  // namespace jaild::engine
