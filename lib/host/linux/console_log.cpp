#include "lib/host/linux/console_log.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "lib/host/linux/resolve.h"
#include "lib/model/error.h"

namespace jaild::host::linux_host {
namespace {

constexpr int create_flags =
    O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
  throw error(errc::host_failure, "exec.consolelog " + path + ": " + why);
}

// Copies the whole of `from` into the new file `to` (made in `dir`).
bool copy_into(int from, int dir, const std::string& to) {
  unique_fd out(
      ::openat(dir, to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640));
  if (!out) return false;
  loff_t in_off = 0;
  while (true) {
    ssize_t n = ::copy_file_range(from, &in_off, out.get(), nullptr, 1 << 20, 0);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      // Another file system or a kernel without it: plain reads and writes.
      char buf[65536];
      while (true) {
        ssize_t r = ::pread(from, buf, sizeof buf, in_off);
        if (r <= 0) return r == 0;
        if (::write(out.get(), buf, static_cast<std::size_t>(r)) != r) return false;
        in_off += r;
      }
    }
  }
}

}  // namespace

console_log::console_log(const std::string& path, const std::string& jail_root,
                         log_rotation rotation)
    : path_(path), rotation_(rotation) {
  std::filesystem::path p(path);
  name_ = p.filename().string();
  if (name_.empty() || name_ == "." || name_ == "..") refuse(path, "not a file name");
  if (auto below = path_below(jail_root, path)) {
    // Inside the root: the directory as the jail sees it, never the host's.
    const auto slash = below->rfind('/');
    if (slash == std::string::npos)
      dir_.reset(::open(jail_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    else
      dir_ = open_below(jail_root, below->substr(0, slash), O_PATH | O_DIRECTORY, 0,
                        /*in_root=*/true);
  } else {
    dir_.reset(::open(p.parent_path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  if (!dir_) refuse(path, "its directory: " + errno_text(errno));
  // The file as it is, of any type and without following a link, so that a
  // FIFO cannot make the open wait; a regular file is then opened again
  // through that very descriptor. A missing one is made (O_EXCL: nothing
  // else can be put in its place meanwhile).
  unique_fd found(::openat(dir_.get(), name_.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!found && errno == ENOENT) {
    fd_.reset(::openat(dir_.get(), name_.c_str(), create_flags, 0640));
    if (!fd_ && errno == EEXIST)
      found.reset(::openat(dir_.get(), name_.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  }
  if (!fd_) {
    if (!found) refuse(path, errno_text(errno));
    struct stat st {};
    if (::fstat(found.get(), &st) != 0) refuse(path, errno_text(errno));
    if (S_ISLNK(st.st_mode)) refuse(path, "a symbolic link (refused)");
    if (!S_ISREG(st.st_mode)) refuse(path, "not a regular file (refused)");
    const std::string self = "/proc/self/fd/" + std::to_string(found.get());
    fd_.reset(::open(self.c_str(), O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC));
    if (!fd_) refuse(path, errno_text(errno));
  }
}

void console_log::append(std::string_view data) {
  std::lock_guard lock(mutex_);
  struct stat st {};
  if (::fstat(fd_.get(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) >= rotation_.max_bytes)
    rotate();
  while (!data.empty()) {
    ssize_t n = ::write(fd_.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk: the output is lost, not the hook
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool console_log::rotate_if_full() {
  std::lock_guard lock(mutex_);
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0 || static_cast<std::uint64_t>(st.st_size) < rotation_.max_bytes)
    return false;
  rotate();
  return true;
}

void console_log::rotate() {
  if (rotation_.keep == 0) {
    ::ftruncate(fd_.get(), 0);
    return;
  }
  auto numbered = [&](unsigned k) { return name_ + "." + std::to_string(k); };
  ::unlinkat(dir_.get(), numbered(rotation_.keep).c_str(), 0);
  for (unsigned k = rotation_.keep; k > 1; --k)
    ::renameat(dir_.get(), numbered(k - 1).c_str(), dir_.get(), numbered(k).c_str());
  // The copy reads through jaild's own descriptor of the log (O_WRONLY is
  // not readable, so a second, read-only one of the same open file).
  const std::string self = "/proc/self/fd/" + std::to_string(fd_.get());
  unique_fd reader(::open(self.c_str(), O_RDONLY | O_CLOEXEC));
  if (reader) copy_into(reader.get(), dir_.get(), numbered(1));
  ::ftruncate(fd_.get(), 0);
}

console_logs::~console_logs() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  if (wake_fd_) {
    const std::uint64_t one = 1;
    ssize_t ignored = ::write(wake_fd_.get(), &one, sizeof one);
    (void)ignored;
  }
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<console_log> console_logs::open(const std::string& jail, const std::string& path,
                                                const std::string& jail_root) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = logs_.find(jail); it != logs_.end() && it->second->path() == path)
      return it->second;
  }
  auto log = std::make_shared<console_log>(path, jail_root, rotation_);
  std::lock_guard lock(mutex_);
  if (!thread_.joinable()) {
    inotify_.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    wake_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    thread_ = std::thread([this] { run(); });
  }
  if (inotify_) {
    // The descriptor's own inode, whatever happens to the path.
    const std::string self = "/proc/self/fd/" + std::to_string(log->fd());
    const int wd = ::inotify_add_watch(inotify_.get(), self.c_str(), IN_MODIFY);
    if (wd >= 0) watches_[wd] = log;
  }
  logs_[jail] = log;
  return log;
}

void console_logs::close(const std::string& jail) {
  std::lock_guard lock(mutex_);
  logs_.erase(jail);
  // Watches of logs nobody holds any more go with them.
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (it->second.expired()) {
      if (inotify_) ::inotify_rm_watch(inotify_.get(), it->first);
      it = watches_.erase(it);
    } else {
      ++it;
    }
  }
}

void console_logs::run() {
  auto last_sweep = std::chrono::steady_clock::now();
  while (true) {
    pollfd p[2] = {{inotify_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
    ::poll(p, 2, 2000);
    std::vector<std::shared_ptr<console_log>> check;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      alignas(inotify_event) char buf[4096];
      while (inotify_) {
        const ssize_t n = ::read(inotify_.get(), buf, sizeof buf);
        if (n <= 0) break;
        for (ssize_t at = 0; at < n;) {
          const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
          if (auto it = watches_.find(e->wd); it != watches_.end())
            if (auto log = it->second.lock()) check.push_back(std::move(log));
          at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
        }
      }
      const auto now = std::chrono::steady_clock::now();
      if (now - last_sweep >= std::chrono::seconds(2)) {
        last_sweep = now;
        for (const auto& [jail, log] : logs_) check.push_back(log);
      }
    }
    for (const auto& log : check) log->rotate_if_full();
  }
}

}  // namespace jaild::host::linux_host
