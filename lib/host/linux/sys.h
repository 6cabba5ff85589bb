// Small system helpers of the Linux adapter: an owning file descriptor (posix's), whole
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
#include "lib/host/posix/unique_fd.h"
#include "lib/model/error.h"

namespace jaild::host::linux_host {

using posix::unique_fd;

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
