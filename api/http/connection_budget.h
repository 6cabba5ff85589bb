// One listener's connection budget: at most `max` connections in all, of
// which the last `reserved` only admins may take, and at most `per_uid` for
// any one UNIX socket uid that is not admin. So no user, with a role or
// without, can lock root (or the admin groups) out of the socket by holding
// connections, and no one user crowds out the others.
//
// Thread-safety: every method may be called from any thread; one mutex.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace jaild::api::http {

class connection_budget : public std::enable_shared_from_this<connection_budget> {
 public:
  struct limits {
    unsigned max = 1024;
    unsigned reserved = 0;  // of max, for admins only
    unsigned per_uid = 0;   // 0: no limit per uid
  };
  explicit connection_budget(limits l) : limits_(l) {}

  // A connection's place in the budget, given back when it is destroyed.
  class slot {
   public:
    slot(std::shared_ptr<connection_budget> budget, std::optional<uid_t> uid)
        : budget_(std::move(budget)), uid_(uid) {}
    ~slot() { budget_->give_back(uid_); }
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;

   private:
    std::shared_ptr<connection_budget> budget_;
    std::optional<uid_t> uid_;
  };

  // A slot for a connection of `uid` (none: not a UNIX socket peer), or
  // null and in *why the reason it is refused.
  std::shared_ptr<slot> take(std::optional<uid_t> uid, bool admin, std::string* why = nullptr);
  unsigned open() const;

 private:
  void give_back(std::optional<uid_t> uid);

  const limits limits_;
  mutable std::mutex mutex_;
  unsigned open_ = 0;                   // guarded by mutex_
  std::map<uid_t, unsigned> by_uid_;    // guarded by mutex_: non-admin uids only
};

}  // namespace jaild::api::http
