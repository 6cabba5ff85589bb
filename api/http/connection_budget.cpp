#include "api/http/connection_budget.h"

#include <algorithm>

#include <fmt/format.h>

namespace jaild::api::http {

std::shared_ptr<connection_budget::slot> connection_budget::take(std::optional<uid_t> uid,
                                                                 bool admin, std::string* why) {
  std::lock_guard lock(mutex_);
  const unsigned room = admin ? limits_.max : limits_.max - std::min(limits_.reserved, limits_.max);
  if (open_ >= room) {
    if (why)
      *why = admin ? fmt::format("jaild has {} connections open, its limit ([api] max_connections)",
                                 open_)
                   : fmt::format("jaild has {} connections open; the last {} of {} are kept for "
                                 "admins ([api] max_connections, admin_connections)",
                                 open_, limits_.reserved, limits_.max);
    return nullptr;
  }
  std::optional<uid_t> counted;
  if (uid && !admin && limits_.per_uid > 0) {
    auto& mine = by_uid_[*uid];
    if (mine >= limits_.per_uid) {
      if (why)
        *why = fmt::format("uid {} has {} connections open, its limit ([api] "
                           "max_connections_per_uid)",
                           *uid, mine);
      return nullptr;
    }
    ++mine;
    counted = uid;
  }
  ++open_;
  return std::make_shared<slot>(shared_from_this(), counted);
}

void connection_budget::give_back(std::optional<uid_t> uid) {
  std::lock_guard lock(mutex_);
  --open_;
  if (!uid) return;
  auto it = by_uid_.find(*uid);
  if (it != by_uid_.end() && --it->second == 0) by_uid_.erase(it);
}

unsigned connection_budget::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

}  // namespace jaild::api::http
