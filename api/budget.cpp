#include "api/budget.h"

#include <algorithm>

namespace jaild::api {

budget::answer budget::take(const std::optional<std::string>& holder, bool admin) {
  std::lock_guard lock(mutex_);
  const unsigned room =
      admin ? limits_.max : limits_.max - std::min(limits_.reserved, limits_.max);
  if (open_ >= room) return {nullptr, admin ? refusal::full : refusal::reserved, open_};
  std::optional<std::string> counted;
  if (holder && !admin && limits_.per_holder > 0) {
    auto& mine = by_holder_[*holder];
    if (mine >= limits_.per_holder) return {nullptr, refusal::holder_full, mine};
    ++mine;
    counted = holder;
  }
  ++open_;
  return {std::make_shared<slot>(shared_from_this(), std::move(counted)), refusal::none, open_};
}

void budget::give_back(const std::optional<std::string>& holder) {
  std::lock_guard lock(mutex_);
  --open_;
  if (!holder) return;
  auto it = by_holder_.find(*holder);
  if (it != by_holder_.end() && --it->second == 0) by_holder_.erase(it);
}

unsigned budget::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

}  // namespace jaild::api
