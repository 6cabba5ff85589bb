// One thread that waits on the pidfds of every watched jail init with epoll
// and calls a callback when one ends: crash detection without polling
// (DESIGN.md section 5). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "lib/host/linux/sys.h"

namespace jaild::host::linux_host {

class pidfd_watcher {
 public:
  pidfd_watcher();
  ~pidfd_watcher();
  pidfd_watcher(const pidfd_watcher&) = delete;
  pidfd_watcher& operator=(const pidfd_watcher&) = delete;

  // Calls on_ready once, from the watcher thread, when the process of `pidfd`
  // has ended. The caller keeps the fd open until remove() or the callback.
  // Returns the registration key.
  std::uint64_t add(int pidfd, std::function<void()> on_ready);
  // After remove() returns, the callback is not running and will not run
  // (unless remove() is called from inside that very callback).
  void remove(std::uint64_t key);

 private:
  void run();

  unique_fd epoll_;
  unique_fd wake_;  // eventfd: stop
  std::mutex mutex_;
  std::condition_variable idle_;
  struct entry {
    int fd;
    std::function<void()> callback;
  };
  std::map<std::uint64_t, entry> callbacks_;
  std::uint64_t next_key_ = 1;
  std::uint64_t firing_ = 0;
  std::thread thread_;
};

}  // namespace jaild::host::linux_host
