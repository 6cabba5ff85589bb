// A few fresh network namespaces (loopback up), made ahead of time by one
// thread of their own, so that starting a jail does not wait for one: in
// clone3, CLONE_NEWNET cost 2.0 ms median here (setup_net of every network
// subsystem, and the RTNL lock it shares with the teardown of stopped jails'
// namespaces), against 0.46 ms without it, while the child's setns into a
// made namespace costs microseconds. A namespace held here is referenced only
// by an fd of jaild's: if jaild dies, the kernel frees it; nothing to ledger.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>

#include "lib/host/linux/sys.h"

namespace jaild::host::linux_host {

class netns_pool {
 public:
  explicit netns_pool(std::size_t size = 2) : size_(size) {}
  ~netns_pool();
  netns_pool(const netns_pool&) = delete;
  netns_pool& operator=(const netns_pool&) = delete;

  // A fresh namespace, or an empty fd when none is ready (the caller then
  // makes its own, CLONE_NEWNET). Either way the pool fills up behind.
  unique_fd take();

 private:
  void run();
  static unique_fd make(int home);

  const std::size_t size_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<unique_fd> ready_;
  bool stop_ = false;
  std::thread thread_;  // started by the first take()
};

}  // namespace jaild::host::linux_host
