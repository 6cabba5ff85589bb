// Small system helpers of the Linux adapter: an owning file descriptor, whole
// file reads and writes with errno kept, and the errors the adapter throws.
// Thread-safe (no shared state).
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/host/host.h"
#include "lib/model/error.h"

namespace jaild::host::linux_host {

class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  ~unique_fd() { reset(); }
  unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// "Operation not permitted (EPERM)".
std::string errno_text(int err);

// Reads a whole (small, /proc or /sys) file; nullopt with errno set on error.
std::optional<std::string> read_text(const std::filesystem::path& path);
// Writes a value the way `echo VALUE > FILE` does; returns 0 or the errno.
int write_text(const std::filesystem::path& path, std::string_view value);

// The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap).
int capability_last();

// A step of the journal, timed from construction to finish(). finish() records
// it; a failure is recorded and thrown as jaild::error(code).
class step_timer {
 public:
  step_timer(journal& j, std::string step, std::vector<std::string> argv);
  step_record& record() { return record_; }
  void ok(std::string output = {});
  [[noreturn]] void fail(int err, std::string message, errc code = errc::host_failure);
  // Records `status` and `recorded_error` as they are (an exit status, a
  // command's stderr) and throws jaild::error(code, message).
  [[noreturn]] void fail_with(int status, std::string recorded_error, errc code,
                              std::string message);
  // Records a failure without throwing (cleanup paths collect several).
  void failed_quietly(int err, std::string message);

 private:
  void finish();
  journal& journal_;
  step_record record_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace jaild::host::linux_host
