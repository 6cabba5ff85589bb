#include "lib/engine/operation.h"

#include "lib/model/json_reader.h"

namespace jaild::engine {

std::string_view op_kind_name(op_kind k) {
  switch (k) {
    case op_kind::start: return "start";
    case op_kind::stop: return "stop";
    case op_kind::restart: return "restart";
    case op_kind::recover: return "recover";
    case op_kind::update: return "update";
    case op_kind::provision: return "provision";
  }
  return "start";
}

std::string_view op_state_name(op_state s) {
  switch (s) {
    case op_state::queued: return "queued";
    case op_state::running: return "running";
    case op_state::succeeded: return "succeeded";
    case op_state::failed: return "failed";
  }
  return "queued";
}

operation::operation(std::string id, std::string jail, op_kind kind, std::string reason)
    : id_(std::move(id)),
      jail_(std::move(jail)),
      kind_(kind),
      reason_(std::move(reason)),
      created_ms_(store::now_ms()) {}

op_state operation::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

bool operation::finished() const {
  const auto s = state();
  return s == op_state::succeeded || s == op_state::failed;
}

errc operation::error_code() const {
  std::lock_guard lock(mutex_);
  return code_;
}

std::string operation::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

void operation::begin() {
  std::lock_guard lock(mutex_);
  state_ = op_state::running;
  started_ms_ = store::now_ms();
  began_ = std::chrono::steady_clock::now();
}

void operation::add_step(host::step_record step) {
  std::lock_guard lock(mutex_);
  steps_.push_back(std::move(step));
}

void operation::succeed() {
  std::lock_guard lock(mutex_);
  state_ = op_state::succeeded;
  finished_ms_ = store::now_ms();
  ended_ = std::chrono::steady_clock::now();
}

void operation::fail(errc code, std::string message) {
  std::lock_guard lock(mutex_);
  state_ = op_state::failed;
  code_ = code;
  error_ = std::move(message);
  finished_ms_ = store::now_ms();
  ended_ = std::chrono::steady_clock::now();
  if (!started_ms_) started_ms_ = finished_ms_;
}

void operation::complete() {
  {
    std::lock_guard lock(mutex_);
    completed_ = true;
  }
  done_.notify_all();
}

void operation::wait() const {
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return completed_; });
}

bool operation::wait_for(std::chrono::milliseconds limit) const {
  std::unique_lock lock(mutex_);
  return done_.wait_for(lock, limit, [this] { return completed_; });
}

nlohmann::json operation::to_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::json steps = nlohmann::json::array();
  if (stored_steps_.is_array()) steps = stored_steps_;
  for (const auto& s : steps_) steps.push_back(host::step_to_json(s));
  auto opt = [](const std::optional<std::int64_t>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  nlohmann::json j = {{"id", id_},
                      {"jail", jail_},
                      {"kind", op_kind_name(kind_)},
                      {"state", op_state_name(state_)},
                      {"reason", reason_},
                      {"created_at", created_ms_},
                      {"started_at", opt(started_ms_)},
                      {"finished_at", opt(finished_ms_)},
                      {"error", error_},
                      {"steps", steps}};
  if (state_ == op_state::failed) j["code"] = errc_name(code_);
  if (started_ms_ && finished_ms_) j["duration_ms"] = *finished_ms_ - *started_ms_;
  if (began_ != std::chrono::steady_clock::time_point{} &&
      ended_ != std::chrono::steady_clock::time_point{})
    j["duration_us"] =
        std::chrono::duration_cast<std::chrono::microseconds>(ended_ - began_).count();
  return j;
}

store::operation_row operation::to_row() const {
  auto j = to_json();
  store::operation_row row;
  row.id = id_;
  row.jail = jail_;
  row.kind = std::string(op_kind_name(kind_));
  row.state = j["state"];
  row.created_ms = created_ms_;
  std::lock_guard lock(mutex_);
  row.started_ms = started_ms_;
  row.finished_ms = finished_ms_;
  row.error = error_.empty() ? "" : std::string(errc_name(code_)) + ": " + error_;
  row.steps = j["steps"];
  return row;
}

std::shared_ptr<operation> operation::from_row(const store::operation_row& row) {
  op_kind kind = op_kind::start;
  for (auto k : {op_kind::start, op_kind::stop, op_kind::restart, op_kind::recover,
                 op_kind::update, op_kind::provision})
    if (op_kind_name(k) == row.kind) kind = k;
  auto op = std::make_shared<operation>(row.id, row.jail, kind, "");
  std::lock_guard lock(op->mutex_);
  op->created_ms_ = row.created_ms;
  op->started_ms_ = row.started_ms;
  op->finished_ms_ = row.finished_ms;
  op->stored_steps_ = row.steps;
  for (auto s : {op_state::queued, op_state::running, op_state::succeeded, op_state::failed})
    if (op_state_name(s) == row.state) op->state_ = s;
  op->completed_ = op->state_ == op_state::succeeded || op->state_ == op_state::failed;
  // "code: sentence", as to_row() wrote it.
  if (auto colon = row.error.find(": "); colon != std::string::npos) {
    op->code_ = errc_from_name(row.error.substr(0, colon));
    op->error_ = row.error.substr(colon + 2);
  } else {
    op->error_ = row.error;
  }
  return op;
}

void op_journal::record(const host::step_record& step) {
  op_.add_step(step);
  db_.save_operation(op_.to_row());
}

}  // namespace jaild::engine
