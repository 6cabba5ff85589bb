#include "lib/engine/op_queue.h"

#include <algorithm>

namespace jaild::engine {

void op_queue::take_ready(lane_state& lane, std::vector<task>& out) {
  if (lane.posted || lane.items.empty() || !lane.items.front()->after.empty()) return;
  lane.posted = true;
  out.push_back(lane.items.front()->run);
}

void op_queue::post_all(std::vector<task>& tasks) {
  for (auto& t : tasks) post_(std::move(t));
}

void op_queue::push(const std::string& lane, const std::string& id,
                    const std::vector<std::string>& after, task run) {
  std::vector<task> ready;
  {
    guard g(mutex_);
    auto it = std::make_shared<item>();
    it->id = id;
    it->lane = lane;
    for (const auto& a : after)
      if (items_.count(a)) it->after.insert(a);
    it->run = std::move(run);
    items_[id] = it;
    auto& l = lanes_[lane];
    l.items.push_back(it);
    take_ready(l, ready);
  }
  post_all(ready);
}

void op_queue::then(const std::vector<std::string>& after, task t) {
  std::vector<task> ready;
  {
    guard g(mutex_);
    auto it = std::make_shared<item>();
    for (const auto& a : after)
      if (items_.count(a)) it->after.insert(a);
    if (it->after.empty()) {
      ready.push_back(std::move(t));
    } else {
      it->run = std::move(t);
      continuations_.push_back(std::move(it));
    }
  }
  post_all(ready);
}

void op_queue::finished(const std::string& id) {
  std::vector<task> ready;
  {
    guard g(mutex_);
    auto found = items_.find(id);
    if (found == items_.end()) return;
    const auto done = found->second;
    items_.erase(found);
    auto& own = lanes_[done->lane];
    const bool was_head = !own.items.empty() && own.items.front() == done;
    own.items.erase(std::remove(own.items.begin(), own.items.end(), done), own.items.end());
    if (was_head) own.posted = false;
    // Whatever waited for it: other operations (their lanes' heads may now
    // run), continuations, and this lane's next.
    for (auto& [name, l] : lanes_) {
      for (auto& i : l.items) i->after.erase(id);
      take_ready(l, ready);
    }
    for (auto c = continuations_.begin(); c != continuations_.end();) {
      (*c)->after.erase(id);
      if ((*c)->after.empty()) {
        ready.push_back(std::move((*c)->run));
        c = continuations_.erase(c);
      } else {
        ++c;
      }
    }
    if (own.items.empty()) lanes_.erase(done->lane);
  }
  post_all(ready);
}

std::size_t op_queue::depth(const std::string& lane) const {
  guard g(mutex_);
  auto it = lanes_.find(lane);
  return it == lanes_.end() ? 0 : it->second.items.size();
}

std::string op_queue::running(const std::string& lane) const {
  guard g(mutex_);
  auto it = lanes_.find(lane);
  if (it == lanes_.end() || !it->second.posted) return {};
  return it->second.items.front()->id;
}

bool op_queue::pending(const std::string& id) const {
  guard g(mutex_);
  return items_.count(id) > 0;
}

}  // namespace jaild::engine
