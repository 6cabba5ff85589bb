#include "api/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "lib/model/error.h"

namespace jaild::api {
namespace {

// 2024-05-01T12:34:56.789Z
std::string utc_time(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buf, ms % 1000);
}

}  // namespace

audit_log::audit_log(std::filesystem::path path) : path_(std::move(path)) {
  std::error_code ec;
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path(), ec);
  fd_ = open_file();
}

audit_log::~audit_log() {
  if (fd_ >= 0) ::close(fd_);
}

int audit_log::open_file() const {
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    throw error(errc::unavailable, fmt::format("cannot open the audit log {}: {}",
                                               path_.string(), std::strerror(errno)));
  return fd;
}

void audit_log::record(const audit_record& r) {
  // Ordered as a person reads it: when, who, how they came, what, the result.
  nlohmann::ordered_json line;
  line["time"] = utc_time(r.time_ms);
  line["who"] = r.who;
  line["role"] = r.held ? nlohmann::ordered_json(std::string(role_name(*r.held))) : nullptr;
  if (r.from) {
    line["via"] = r.from->via == transport::https ? "https" : "unix";
    if (!r.from->address.empty()) line["address"] = r.from->address;
    if (r.from->pid) line["pid"] = *r.from->pid;
  }
  line["method"] = r.method;
  line["target"] = r.target;
  line["status"] = r.status;
  if (!r.code.empty()) line["code"] = r.code;
  line["duration_ms"] = r.duration_ms;
  // Client text (a target) may be invalid UTF-8: replaced, never a throw.
  const auto text =
      line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  std::lock_guard lock(mutex_);
  if (fd_ < 0) return;
  // O_APPEND: one write is one line, even beside another writer.
  if (::write(fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    spdlog::error("audit log {}: write failed: {}", path_.string(), std::strerror(errno));
}

void audit_log::reopen() {
  int fd = -1;
  try {
    fd = open_file();
  } catch (const std::exception& e) {
    spdlog::error("{}; keeping the old descriptor", e.what());
    return;
  }
  std::lock_guard lock(mutex_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace jaild::api
