// Locks whose rules the compiler checks. With clang and -Wthread-safety
// (the JAILD_THREAD_SAFETY build, see the top CMakeLists.txt), a member
// marked GUARDED_BY(m) touched without m held, a function marked
// REQUIRES(m) called without it, or a lock taken out of the order that
// ACQUIRED_AFTER states, is a compile error. With GCC the marks are empty.
//
// std::mutex carries no such marks in libstdc++, hence these thin wrappers;
// they cost nothing over std::mutex and std::lock_guard.
#pragma once

#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define JAILD_TSA(x) __attribute__((x))
#else
#define JAILD_TSA(x)
#endif

#define CAPABILITY(x) JAILD_TSA(capability(x))
#define SCOPED_CAPABILITY JAILD_TSA(scoped_lockable)
#define GUARDED_BY(x) JAILD_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) JAILD_TSA(pt_guarded_by(x))
#define ACQUIRED_AFTER(...) JAILD_TSA(acquired_after(__VA_ARGS__))
#define ACQUIRED_BEFORE(...) JAILD_TSA(acquired_before(__VA_ARGS__))
#define REQUIRES(...) JAILD_TSA(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) JAILD_TSA(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) JAILD_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) JAILD_TSA(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) JAILD_TSA(try_acquire_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS JAILD_TSA(no_thread_safety_analysis)

namespace jaild::engine {

class CAPABILITY("mutex") mutex {
 public:
  void lock() ACQUIRE() { m_.lock(); }
  void unlock() RELEASE() { m_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return m_.try_lock(); }

 private:
  std::mutex m_;
};

// A scoped lock that may be released early (and, for a condition variable
// wait, released and taken again inside the wait).
class SCOPED_CAPABILITY guard {
 public:
  explicit guard(mutex& m) ACQUIRE(m) : m_(m) { m_.lock(); }
  ~guard() RELEASE() {
    if (held_) m_.unlock();
  }
  guard(const guard&) = delete;
  guard& operator=(const guard&) = delete;

  void unlock() RELEASE() {
    held_ = false;
    m_.unlock();
  }

  // For std::condition_variable_any, which unlocks and locks around a wait.
  mutex& underlying() { return m_; }

 private:
  mutex& m_;
  bool held_ = true;
};

// Waits on a condition variable under `l` (held before and after).
template <typename Pred>
void wait(std::condition_variable_any& cv, guard& l, Pred pred) {
  cv.wait(l.underlying(), pred);
}

}  // namespace jaild::engine
