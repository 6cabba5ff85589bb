#include "lib/engine/launcher.h"

#include <fmt/format.h>

#include <algorithm>

namespace jaild::engine {

void launcher::add(std::shared_ptr<operation> op, int priority, clock::time_point deadline) {
  guard lock(mutex_);
  waiting_.push_back({std::move(op), priority, deadline});
}

std::shared_ptr<operation> launcher::waiting(const std::string& jail) const {
  guard lock(mutex_);
  for (const auto& e : waiting_)
    if (e.op->jail() == jail) return e.op;
  return nullptr;
}

std::vector<std::shared_ptr<operation>> launcher::cancel(const std::string& jail) {
  guard lock(mutex_);
  std::vector<std::shared_ptr<operation>> out;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->op->jail() == jail) {
      out.push_back(it->op);
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

bool launcher::on_its_way(const std::string& jail) const {
  guard lock(mutex_);
  for (const auto& e : waiting_)
    if (e.op->jail() == jail) return true;
  auto it = launched_.find(jail);
  return it != launched_.end() && it->second > 0;
}

void launcher::ended(const std::string& jail) {
  guard lock(mutex_);
  if (running_ > 0) --running_;
  if (auto it = launched_.find(jail); it != launched_.end() && --it->second <= 0)
    launched_.erase(it);
}

launcher::decisions launcher::pass(clock::time_point now, const depends_fn& depends,
                                   const dependency_fn& dependency,
                                   const std::string& timeout_text) {
  guard lock(mutex_);
  decisions out;
  std::stable_sort(waiting_.begin(), waiting_.end(), [](const entry& a, const entry& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.op->jail() < b.op->jail();
  });
  // A dependency that is not ready but waiting here, or launched, is on its way.
  auto state_of = [&](const std::string& dep, std::string& detail) REQUIRES(mutex_) {
    const auto said = dependency(dep, detail);
    if (said == dependency_state::ready || said == dependency_state::missing) return said;
    for (const auto& e : waiting_)
      if (e.op->jail() == dep) return dependency_state::coming;
    if (auto l = launched_.find(dep); l != launched_.end() && l->second > 0)
      return dependency_state::coming;
    return said;
  };
  std::deque<entry> still;
  // Entries stay in waiting_ during the walk (state_of reads it); the new
  // list replaces it at the end.
  for (const auto& e : waiting_) {
    const auto& name = e.op->jail();
    const auto deps = depends(name);
    std::string failed, first_waiting;
    if (!deps) failed = fmt::format("jail '{}' was deleted", name);
    for (const auto& dep : deps ? *deps : std::vector<std::string>{}) {
      if (!failed.empty()) break;
      std::string detail;
      switch (state_of(dep, detail)) {
        case dependency_state::ready:
          break;
        case dependency_state::coming:
          if (first_waiting.empty()) first_waiting = dep;
          break;
        case dependency_state::missing:
          failed = fmt::format("dependency '{}' is not defined", dep);
          break;
        case dependency_state::down:
          failed = fmt::format("dependency '{}' is {}", dep, detail);
          break;
      }
    }
    if (!failed.empty()) {
      out.fail.push_back({e.op, errc::dependency_failed, "held back: " + failed});
      continue;
    }
    if (!first_waiting.empty()) {
      if (now >= e.deadline) {
        out.fail.push_back({e.op, errc::timeout,
                            fmt::format("held back: dependency '{}' was not ready within {}",
                                        first_waiting, timeout_text)});
        continue;
      }
      if (!out.next_deadline || e.deadline < *out.next_deadline) out.next_deadline = e.deadline;
      still.push_back(e);
      continue;
    }
    if (running_ + out.launch.size() >= parallel_) {
      still.push_back(e);
      continue;
    }
    out.launch.push_back(e.op);
  }
  waiting_ = std::move(still);
  for (const auto& op : out.launch) {
    ++running_;
    ++launched_[op->jail()];
  }
  return out;
}

std::size_t launcher::waiting_count() const {
  guard lock(mutex_);
  return waiting_.size();
}

unsigned launcher::running() const {
  guard lock(mutex_);
  return running_;
}

}  // namespace jaild::engine
