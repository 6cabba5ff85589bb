#include "lib/host/linux/sys.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include "lib/model/error.h"

namespace jaild::host::linux_host {

std::string errno_text(int err) {
  const char* name = strerrorname_np(err);
  return std::string(strerrordesc_np(err) ? strerrordesc_np(err) : "unknown error") + " (" +
         (name ? name : std::to_string(err)) + ")";
}

std::optional<std::string> read_text(const std::filesystem::path& path) {
  unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

int write_text(const std::filesystem::path& path, std::string_view value) {
  unique_fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno;
  ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n < 0) return errno;
  if (static_cast<std::size_t>(n) != value.size()) return EIO;
  return 0;
}

int capability_last() {
  int last = 40;  // CAP_CHECKPOINT_RESTORE, the last one of Linux 5.9 to 6.x
  if (auto text = read_text("/proc/sys/kernel/cap_last_cap"))
    std::from_chars(text->data(), text->data() + text->size(), last);
  return last;
}

step_timer::step_timer(journal& j, std::string step, std::vector<std::string> argv)
    : journal_(j), start_(std::chrono::steady_clock::now()) {
  record_.step = std::move(step);
  record_.argv = std::move(argv);
}

void step_timer::finish() {
  record_.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start_);
  journal_.record(record_);
}

void step_timer::ok(std::string output) {
  record_.output = std::move(output);
  finish();
}

void step_timer::fail(int err, std::string message, errc code) {
  std::string detail = record_.step + ": " + message;
  failed_quietly(err, std::move(message));
  throw error(code, std::move(detail));
}

void step_timer::fail_with(int status, std::string recorded_error, errc code, std::string message) {
  record_.status = status == 0 ? -1 : status;
  record_.error = std::move(recorded_error);
  finish();
  throw error(code, std::move(message));
}

void step_timer::failed_quietly(int err, std::string message) {
  record_.status = err == 0 ? -1 : err;
  record_.error = std::move(message);
  finish();
}

}  // namespace jaild::host::linux_host
