// The audit log: one JSON line per request that may change something (every
// method but GET and HEAD) or run something (the streaming exec, a GET that
// a route marks audited), allowed or refused, written before the answer
// leaves jaild: who (the principal and how they came), what (method and
// target), when, and the result (status, problem code, duration).
//
// A file, not a table: the database holds the desired state, and a refused
// request must leave it exactly as it was; a file can be shipped and rotated
// with the host's own tools (newsyslog, logrotate: jaild reopens it on
// SIGHUP), and it keeps working when the database does not.
//
// Thread-safety: record() and reopen() may be called from any thread; each
// record is one write(2) on an O_APPEND descriptor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "api/request.h"
#include "api/router.h"

namespace jaild::api {

struct audit_record {
  std::int64_t time_ms = 0;
  std::string who;                 // principal, "anonymous" before identification
  std::optional<role> held;        // the caller's role, if any
  const peer* from = nullptr;      // transport, address or pid
  std::string method, target;      // as sent
  unsigned status = 0;
  std::string code;                // problem+json code when refused or failed
  std::int64_t duration_ms = 0;
};

class audit_log {
 public:
  // Opens (creates, mode 0600) `path`; throws jaild::error(unavailable).
  explicit audit_log(std::filesystem::path path);
  ~audit_log();
  audit_log(const audit_log&) = delete;
  audit_log& operator=(const audit_log&) = delete;

  void record(const audit_record& r);
  // Closes and opens the file again (after the log was rotated).
  void reopen();
  const std::filesystem::path& path() const { return path_; }

 private:
  int open_file() const;

  std::filesystem::path path_;
  std::mutex mutex_;
  int fd_ = -1;
};

}  // namespace jaild::api
