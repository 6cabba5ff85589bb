#include "lib/host/linux/watcher.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace jaild::host::linux_host {

pidfd_watcher::pidfd_watcher()
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!epoll_ || !wake_) throw std::system_error(errno, std::generic_category(), "epoll");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev) != 0)
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  thread_ = std::thread([this] { run(); });
}

pidfd_watcher::~pidfd_watcher() {
  std::uint64_t one = 1;
  ssize_t ignored = ::write(wake_.get(), &one, sizeof one);
  (void)ignored;
  thread_.join();
}

std::uint64_t pidfd_watcher::add(int pidfd, std::function<void()> on_ready) {
  std::lock_guard lock(mutex_);
  const std::uint64_t key = next_key_++;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = key;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, pidfd, &ev) != 0)
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  callbacks_[key] = {pidfd, std::move(on_ready)};
  return key;
}

void pidfd_watcher::remove(std::uint64_t key) {
  std::unique_lock lock(mutex_);
  if (auto it = callbacks_.find(key); it != callbacks_.end()) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.fd, nullptr);
    callbacks_.erase(it);
  }
  if (std::this_thread::get_id() == thread_.get_id()) return;
  idle_.wait(lock, [&] { return firing_ != key; });
}

void pidfd_watcher::run() {
  while (true) {
    epoll_event events[16];
    int n = ::epoll_wait(epoll_.get(), events, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < n; ++i) {
      const std::uint64_t key = events[i].data.u64;
      if (key == 0) return;  // stop
      std::function<void()> callback;
      {
        std::lock_guard lock(mutex_);
        auto it = callbacks_.find(key);
        if (it == callbacks_.end()) continue;  // removed meanwhile
        callback = std::move(it->second.callback);
        callbacks_.erase(it);
        firing_ = key;
      }
      // EPOLLONESHOT disarmed the fd; its owner closes it, which drops it
      // from the epoll set.
      callback();
      {
        std::lock_guard lock(mutex_);
        firing_ = 0;
      }
      idle_.notify_all();
    }
  }
}

}  // namespace jaild::host::linux_host
