#include "lib/host/linux/netns_pool.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace jaild::host::linux_host {

netns_pool::~netns_pool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

unique_fd netns_pool::take() {
  unique_fd out;
  {
    std::lock_guard lock(mutex_);
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    if (!ready_.empty()) {
      out = std::move(ready_.front());
      ready_.pop_front();
    }
  }
  wake_.notify_all();
  return out;
}

unique_fd netns_pool::make(int home) {
  // This thread is the pool's own: it may change its network namespace.
  if (::unshare(CLONE_NEWNET) != 0) return {};
  unique_fd ns(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  bool ok = static_cast<bool>(ns);
  if (ok) {
    unique_fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, "lo", 3);
    ok = s && ::ioctl(s.get(), SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    ok = ok && ::ioctl(s.get(), SIOCSIFFLAGS, &ifr) == 0;
  }
  if (::setns(home, CLONE_NEWNET) != 0) std::terminate();  // never stay in a jail's stack
  return ok ? std::move(ns) : unique_fd();
}

void netns_pool::run() {
  unique_fd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home) return;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || ready_.size() < size_; });
    if (stop_) return;
    lock.unlock();
    unique_fd ns = make(home.get());
    lock.lock();
    if (!ns) {
      // The kernel refuses (limits, memory): callers make their own.
      wake_.wait(lock, [&] { return stop_; });
      return;
    }
    ready_.push_back(std::move(ns));
  }
}

}  // namespace jaild::host::linux_host
