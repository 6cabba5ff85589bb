#include "api/log_follow.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace jaild::api {
namespace {

constexpr std::size_t chunk_bytes = 64 * 1024;
constexpr auto check_interval = std::chrono::milliseconds(250);

}  // namespace

log_follow::log_follow(std::filesystem::path path, std::uint64_t tail_bytes)
    : path_(std::move(path)), tail_bytes_(tail_bytes) {}

log_follow::~log_follow() {
  if (fd_ >= 0) ::close(fd_);
}

std::string log_follow::read_more() {
  struct stat by_path {};
  const bool there = ::stat(path_.c_str(), &by_path) == 0 && S_ISREG(by_path.st_mode);
  if (fd_ >= 0 && there && by_path.st_ino != inode_) {
    // Replaced (the jail's log made anew): the new file from its start.
    ::close(fd_);
    fd_ = -1;
    offset_ = 0;
  }
  if (fd_ < 0) {
    if (!there) return {};
    const int fd = ::open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return {};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return {};
    }
    fd_ = fd;
    inode_ = st.st_ino;
    const auto size = static_cast<std::uint64_t>(st.st_size);
    offset_ = first_open_ && size > tail_bytes_ ? size - tail_bytes_ : 0;
    first_open_ = false;
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return {};
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < offset_) offset_ = 0;  // truncated by a rotation
  if (size == offset_) return {};
  std::string out(static_cast<std::size_t>(std::min<std::uint64_t>(size - offset_, chunk_bytes)),
                  '\0');
  const ssize_t n = ::pread(fd_, out.data(), out.size(), static_cast<off_t>(offset_));
  if (n <= 0) return {};
  out.resize(static_cast<std::size_t>(n));
  offset_ += static_cast<std::uint64_t>(n);
  return out;
}

void log_follow::next(std::function<void(std::optional<std::string>)> deliver) {
  std::string data;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_) return;
    data = read_more();
    if (data.empty()) {
      waiting_ = std::move(deliver);  // the watch thread delivers when the file grows
      return;
    }
  }
  deliver(std::move(data));
}

void log_follow::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  waiting_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool log_follow::check() {
  std::function<void(std::optional<std::string>)> deliver;
  std::string data;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_) return false;
    if (!waiting_) return true;
    data = read_more();
    if (data.empty()) return true;
    deliver = std::move(waiting_);
    waiting_ = nullptr;
  }
  deliver(std::move(data));
  return true;
}

log_watch::log_watch() = default;

log_watch::~log_watch() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void log_watch::add(const std::shared_ptr<log_follow>& f) {
  std::lock_guard lock(mutex_);
  followers_.push_back(f);
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

std::size_t log_watch::followers() const {
  std::lock_guard lock(mutex_);
  return followers_.size();
}

void log_watch::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, check_interval, [this] { return stopping_; });
    if (stopping_) break;
    auto current = followers_;
    lock.unlock();
    std::vector<std::weak_ptr<log_follow>> kept;
    for (auto& weak : current)
      if (auto f = weak.lock(); f && f->check()) kept.push_back(weak);
    lock.lock();
    // Followers added meanwhile are after the ones checked.
    kept.insert(kept.end(), followers_.begin() + static_cast<std::ptrdiff_t>(current.size()),
                followers_.end());
    followers_ = std::move(kept);
  }
}

}  // namespace jaild::api
