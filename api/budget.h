// A budget of things held at once (connections of a listener, long requests
// on their threads): at most `max` in all, of which the last `reserved` only
// admins may take, and at most `per_holder` for any one holder that is not
// admin (a uid, a principal). So no one, with a role or without, can lock
// the admins out by holding many, and no one holder crowds out the others.
//
// Thread-safety: every method may be called from any thread; one mutex.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace jaild::api {

class budget : public std::enable_shared_from_this<budget> {
 public:
  struct limits {
    unsigned max = 1024;
    unsigned reserved = 0;    // of max, for admins only
    unsigned per_holder = 0;  // 0: no limit per holder
  };
  explicit budget(limits l) : limits_(l) {}

  // A place in the budget, given back when it is destroyed.
  class slot {
   public:
    slot(std::shared_ptr<budget> owner, std::optional<std::string> holder)
        : owner_(std::move(owner)), holder_(std::move(holder)) {}
    ~slot() { owner_->give_back(holder_); }
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;

   private:
    std::shared_ptr<budget> owner_;
    std::optional<std::string> holder_;
  };

  enum class refusal { none, full, reserved, holder_full };
  struct answer {
    std::shared_ptr<slot> taken;  // null when refused
    refusal why = refusal::none;
    unsigned open = 0;            // held in all (full, reserved) or by the holder (holder_full)
  };
  // A slot for `holder` (none: unknown, counted in the total only).
  answer take(const std::optional<std::string>& holder, bool admin);
  unsigned open() const;
  const limits& bounds() const { return limits_; }

 private:
  void give_back(const std::optional<std::string>& holder);

  const limits limits_;
  mutable std::mutex mutex_;
  unsigned open_ = 0;                          // guarded by mutex_
  std::map<std::string, unsigned> by_holder_;  // guarded by mutex_: holders that are not admin
};

}  // namespace jaild::api
