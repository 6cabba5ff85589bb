// Runs a function when the scope ends, however it ends: the undo of a
// reservation that must not outlive the call that made it.
#pragma once

#include <functional>
#include <utility>

namespace jaild::engine {

class deferred {
 public:
  explicit deferred(std::function<void()> fn) : fn_(std::move(fn)) {}
  ~deferred() {
    if (fn_) fn_();
  }
  deferred(const deferred&) = delete;
  deferred& operator=(const deferred&) = delete;

 private:
  std::function<void()> fn_;
};

}  // namespace jaild::engine
