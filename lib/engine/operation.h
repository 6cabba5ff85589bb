// An operation: one start, stop or restart of one jail, with its journal of
// host steps (what ran, status, stderr, duration). Operations are kept in
// memory while recent and in SQLite for GET /v1/operations/{id}.
//
// Thread-safety: an operation is written by the one worker running it and read
// by anyone; every member is read and written under its mutex.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/host/host.h"
#include "lib/model/error.h"
#include "lib/store/store.h"

namespace jaild::engine {

// provision: adding a release, making or removing a jail's root.
enum class op_kind { start, stop, restart, recover, update, provision };
enum class op_state { queued, running, succeeded, failed };

std::string_view op_kind_name(op_kind k);
std::string_view op_state_name(op_state s);

class operation {
 public:
  operation(std::string id, std::string jail, op_kind kind, std::string reason);

  const std::string& id() const { return id_; }
  const std::string& jail() const { return jail_; }
  op_kind kind() const { return kind_; }
  const std::string& reason() const { return reason_; }

  op_state state() const;
  bool finished() const;
  // The error of a failed operation: its code and sentence.
  errc error_code() const;
  std::string error() const;

  void begin();
  void add_step(host::step_record step);
  void succeed();
  void fail(errc code, std::string message);
  // Called by the engine once the outcome is stored and announced: wakes wait().
  void complete();

  // Blocks until the operation has finished and its outcome is recorded.
  void wait() const;
  // As wait(), for at most `limit`; whether it finished.
  bool wait_for(std::chrono::milliseconds limit) const;

  nlohmann::json to_json() const;
  store::operation_row to_row() const;
  static std::shared_ptr<operation> from_row(const store::operation_row& row);

 private:
  const std::string id_;
  const std::string jail_;
  const op_kind kind_;
  const std::string reason_;
  mutable std::mutex mutex_;
  mutable std::condition_variable done_;
  op_state state_ = op_state::queued;
  bool completed_ = false;
  std::int64_t created_ms_;
  std::optional<std::int64_t> started_ms_, finished_ms_;
  // Steady-clock times for the duration in microseconds (wall-clock ms are too coarse).
  std::chrono::steady_clock::time_point began_{}, ended_{};
  errc code_ = errc::internal;
  std::string error_;
  std::vector<host::step_record> steps_;
  nlohmann::json stored_steps_;  // steps of an operation loaded from the store
};

// The journal of one operation: every step goes into the operation and, at
// once, into the store, so that GET /v1/operations/{id} shows a running
// operation's progress and a crash leaves the record of what was done.
class op_journal : public host::journal {
 public:
  op_journal(operation& op, store::store& db) : op_(op), db_(db) {}
  void record(const host::step_record& step) override;

 private:
  operation& op_;
  store::store& db_;
};

}  // namespace jaild::engine
