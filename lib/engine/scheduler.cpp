#include "lib/engine/scheduler.h"

#include <spdlog/spdlog.h>

namespace jaild::engine {

scheduler::scheduler(unsigned workers) {
  for (unsigned i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
  timer_thread_ = std::thread([this] { tick(); });
}

scheduler::~scheduler() { stop(); }

void scheduler::post(task t) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    queue_.push_back(std::move(t));
  }
  work_cv_.notify_one();
}

std::uint64_t scheduler::after(std::chrono::milliseconds delay, task t) {
  std::uint64_t id;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return 0;
    id = next_id_++;
    const auto when = clock::now() + delay;
    deadlines_.emplace(when, id);
    timers_.emplace(id, std::make_pair(when, std::move(t)));
  }
  timer_cv_.notify_one();
  return id;
}

void scheduler::cancel(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  auto range = deadlines_.equal_range(it->second.first);
  for (auto d = range.first; d != range.second; ++d)
    if (d->second == id) {
      deadlines_.erase(d);
      break;
    }
  timers_.erase(it);
}

void scheduler::work() {
  while (true) {
    task t;
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      t = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      t();
    } catch (const std::exception& e) {
      // A task reports its own failures; one that escapes is a bug, not a reason to die.
      spdlog::error("engine task failed: {}", e.what());
    }
  }
}

void scheduler::tick() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (deadlines_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    const auto next = deadlines_.begin()->first;
    if (clock::now() < next) {
      timer_cv_.wait_until(lock, next);
      continue;
    }
    const auto id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;
    queue_.push_back(std::move(it->second.second));
    timers_.erase(it);
    work_cv_.notify_one();
  }
}

void scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
    queue_.clear();
    deadlines_.clear();
    timers_.clear();
  }
  work_cv_.notify_all();
  timer_cv_.notify_all();
  for (auto& w : workers_)
    if (w.joinable()) w.join();
  workers_.clear();
  if (timer_thread_.joinable()) timer_thread_.join();
}

}  // namespace jaild::engine
