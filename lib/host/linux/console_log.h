// Jails' console logs (exec.consolelog): the file the jail's init writes its
// output to and jaild appends its hooks' output to, opened so that jail root
// cannot aim it at a host file, and kept to a bounded size.
//
// Opening: a path below the jail's root is resolved inside the root
// (RESOLVE_IN_ROOT: a symbolic link there means what it means to the jail);
// any other path is the admin's and is opened as named, except that its last
// component is never followed as a link. Either way only a regular file is
// taken: a FIFO or device that jail root put there is refused, never waited
// on (O_NONBLOCK for the open, then fstat).
//
// Size: when the file reaches `max_bytes` it is copied to NAME.1 (NAME.1 to
// NAME.2 and so on, `keep` files) and truncated, in place, so that the
// processes that hold it open (init and what it started, with O_APPEND) go
// on writing at its new end; what they write between the copy and the
// truncation is lost, as with logrotate's copytruncate. jaild's own writes
// (hook output) check the size before each chunk; for what the jail's
// processes write themselves a thread wakes on every change of an open log
// (inotify) and checks it, and sweeps all of them every two seconds. All
// rotation works through descriptors of the log's directory, never through a
// path the jail can change.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "lib/host/linux/sys.h"

namespace jaild::host::linux_host {

struct log_rotation {
  std::uint64_t max_bytes = std::uint64_t{10} << 20;
  unsigned keep = 3;
};

class console_log {
 public:
  // Throws jaild::error(host_failure) naming the path and why.
  console_log(const std::string& path, const std::string& jail_root, log_rotation rotation);

  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }
  void append(std::string_view data);
  // Copies and truncates when the file has reached max_bytes; whether it did.
  bool rotate_if_full();

 private:
  void rotate();  // requires mutex_

  std::string path_;
  log_rotation rotation_;
  unique_fd dir_;  // the log's directory (O_PATH)
  std::string name_;
  unique_fd fd_;  // O_WRONLY | O_APPEND
  std::mutex mutex_;
};

// The open console log of each running jail, and the thread that keeps them
// within their size.
class console_logs {
 public:
  explicit console_logs(log_rotation rotation) : rotation_(rotation) {}
  ~console_logs();

  // The log of `jail` at `path` (opened when it is not, or when the path
  // changed). Throws as console_log's constructor does.
  std::shared_ptr<console_log> open(const std::string& jail, const std::string& path,
                                    const std::string& jail_root);
  void close(const std::string& jail);

 private:
  void run();

  log_rotation rotation_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<console_log>> logs_;  // guarded by mutex_
  std::map<int, std::weak_ptr<console_log>> watches_;        // inotify wd; guarded by mutex_
  bool stopping_ = false;                                     // guarded by mutex_
  unique_fd inotify_;                                         // made by the first open
  unique_fd wake_fd_;                                         // an eventfd: stop
  std::thread thread_;                                        // started by the first open
};

}  // namespace jaild::host::linux_host
