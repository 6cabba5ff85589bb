// Start, stop and restart: operations, the launcher that starts a jail only
// when its dependencies are ready, and the runners of the operations that
// the per-jail queue (op_queue.h) hands to the workers one at a time.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "lib/engine/engine.h"
#include "lib/engine/naming.h"
#include "lib/engine/pipeline.h"
#include "lib/engine/runtime.h"
#include "lib/engine/store_ledger.h"
#include "lib/model/error.h"
#include "lib/model/validate.h"
#include "lib/plan/graph.h"

namespace jaild::engine {
namespace {

using clock = std::chrono::steady_clock;


// A step the engine itself takes (not a host call), for the journal.
host::step_record engine_step(std::string name, std::vector<std::string> argv,
                              clock::time_point began, std::string error = {}) {
  host::step_record s;
  s.step = std::move(name);
  s.argv = std::move(argv);
  s.status = error.empty() ? 0 : 1;
  s.error = std::move(error);
  s.duration = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - began);
  return s;
}


}  // namespace

// ---------------------------------------------------------------------------
// Requests. Each checks, queues its operations and returns at once; none
// waits for an operation (see op_queue.h).

bool engine::busy(const std::string& name) const {
  if (queue_->depth(name) > 0 || handoffs_.count(name)) return true;
  if (auto it = runtimes_.find(name); it != runtimes_.end() && !it->second->current_op.empty())
    return true;
  return launcher_.waiting(name) != nullptr;
}

void engine::refuse_if_deleting(const std::string& name) const {
  if (auto it = runtimes_.find(name); it != runtimes_.end() && it->second->deleting)
    throw error(errc::jail_not_found, fmt::format("jail '{}' is being deleted", name));
  if (auto it = runtimes_.find(name); it != runtimes_.end() && !it->second->held.empty())
    throw error(errc::operation_in_progress,
                fmt::format("jail '{}' is {}; start it when that is done", name,
                            it->second->held));
}

void engine::refuse_if_full(const std::string& name) const {
  if (const auto depth = queue_->depth(name); depth >= options_.queue_limit)
    throw error(errc::operation_in_progress,
                fmt::format("jail '{}' has {} operations waiting; try again when they end", name,
                            depth));
}

std::shared_ptr<operation> engine::enqueue(const std::string& name, op_kind kind,
                                           std::string reason) {
  // Caller holds runtime_mutex_.
  auto op = std::make_shared<operation>(new_operation_id(), name, kind, std::move(reason));
  recent_ops_[op->id()] = op;
  recent_order_.push_back(op->id());
  while (recent_order_.size() > 256) {
    auto it = recent_ops_.find(recent_order_.front());
    if (it != recent_ops_.end() && it->second->finished()) recent_ops_.erase(it);
    recent_order_.pop_front();
  }
  store_.save_operation(op->to_row());
  return op;
}

std::shared_ptr<operation> engine::start(const std::string& name, start_options options) {
  return start_with(name, options, nullptr);
}

std::shared_ptr<operation> engine::start_with(const std::string& name, start_options options,
                                              std::shared_ptr<operation> reuse) {
  if (shutting_down_) throw error(errc::unavailable, "jaild is shutting down");
  auto snap = current();
  auto entry = snap->find(name);
  if (!entry) throw error(errc::jail_not_found, fmt::format("no jail named '{}'", name));
  const auto order = plan::with_dependencies(snap->graph(), name);  // dependencies first
  for (const auto& n : order)
    if (!snap->find(n))
      throw error(errc::dependency_failed,
                  fmt::format("jail '{}' depends on '{}', which is not defined", name, n));

  guard lock(runtime_mutex_);
  for (const auto& n : order) {
    if (n == name) {
      refuse_if_deleting(n);
    } else if (auto it = runtimes_.find(n); it != runtimes_.end() && it->second->deleting) {
      throw error(errc::dependency_failed,
                  fmt::format("jail '{}' depends on '{}', which is being deleted", name, n));
    }
  }
  // A start still waiting for its dependencies is the answer to another start
  // of the same jail; a start already running is not (a stop may be queued
  // behind it, and this start must come after that stop).
  auto rt = runtime_of(name);
  if (!reuse)
    if (auto existing = launcher_.waiting(name)) return existing;
  refuse_if_full(name);

  auto queue_start = [&](const std::string& n, std::string reason,
                         std::shared_ptr<operation> op) REQUIRES(runtime_mutex_) {
    auto r = runtime_of(n);
    if (!op) op = enqueue(n, op_kind::start, std::move(reason));
    r->desired = "running";
    if (r->restart_timer) {
      sched_->cancel(r->restart_timer);
      r->restart_timer = 0;
    }
    launcher_.add(op, snap->find(n)->spec.priority, clock::now() + options_.ready_timeout);
    return op;
  };
  for (const auto& n : order) {
    if (n == name) continue;
    if (ready(n) || launcher_.on_its_way(n)) continue;
    auto dep = runtimes_.find(n);
    if (dep != runtimes_.end() && !is_down(dep->second->state)) continue;  // on its way up
    queue_start(n, "dependency of " + name, nullptr);
  }
  if (!options.by_policy) rt->policy_retries = 0;  // a user's start resets on-failure's count
  auto op = queue_start(name, options.reason, std::move(reuse));
  pump();
  return op;
}

std::shared_ptr<operation> engine::stop(const std::string& name, stop_options_api options) {
  if (shutting_down_) throw error(errc::unavailable, "jaild is shutting down");
  auto snap = current();
  if (!snap->find(name)) throw error(errc::jail_not_found, fmt::format("no jail named '{}'", name));
  guard lock(runtime_mutex_);
  refuse_if_deleting(name);
  refuse_if_full(name);
  if (!options.cascade) {
    std::vector<std::string> running;
    for (const auto& d : plan::dependents_of(snap->graph(), name)) {
      auto it = runtimes_.find(d);
      if (it != runtimes_.end() && !is_down(it->second->state)) running.push_back(d);
    }
    if (!running.empty()) {
      std::string list;
      for (const auto& d : running) list += (list.empty() ? "" : ", ") + d;
      throw error(errc::dependents_running,
                  fmt::format("jails that depend on '{}' are running: {}; stop them first or "
                              "stop with cascade=true",
                              name, list));
    }
  }
  const auto after = options.cascade ? queue_dependent_stops(*snap, name, options)
                                     : std::vector<std::string>{};
  return queue_stop(name, options, after);
}

std::shared_ptr<operation> engine::queue_stop(const std::string& name,
                                              const stop_options_api& options,
                                              const std::vector<std::string>& after) {
  // Caller holds runtime_mutex_.
  // A stop supersedes a start that is still waiting for its dependencies
  // (the launcher gives it up before finish() makes another pass).
  for (const auto& op : launcher_.cancel(name)) {
    op->fail(errc::operation_in_progress, "cancelled: a stop was requested");
    finish(op);
  }
  auto rt = runtime_of(name);
  rt->desired = "stopped";
  if (rt->restart_timer) {
    sched_->cancel(rt->restart_timer);
    rt->restart_timer = 0;
  }
  auto op = enqueue(name, op_kind::stop, options.reason);
  queue_->push(name, op->id(), after, [this, op, options] { run_stop(op, options); });
  return op;
}

std::vector<std::string> engine::queue_dependent_stops(const snapshot& snap,
                                                       const std::string& name,
                                                       const stop_options_api& options) {
  // Caller holds runtime_mutex_.
  const auto& nodes = snap.graph();
  std::map<std::string, std::string> queued;  // dependent -> its stop's id
  // Each dependent before what it depends on; each stop waits for the stops
  // of the jails that depend on it.
  for (const auto& d : plan::dependents_of(nodes, name)) {
    auto it = runtimes_.find(d);
    if (it == runtimes_.end() ||
        (is_down(it->second->state) && !it->second->handle && !busy(d)))
      continue;
    std::vector<std::string> after;
    for (const auto& u : plan::dependents_of(nodes, d))
      if (auto q = queued.find(u); q != queued.end()) after.push_back(q->second);
    stop_options_api o = options;
    o.cascade = false;
    o.reason = "dependent of " + name;
    try {
      refuse_if_deleting(d);
      refuse_if_full(d);
      queued[d] = queue_stop(d, o, after)->id();
    } catch (const error& e) {
      spdlog::warn("stopping {} (depends on {}): {}", d, name, e.what());
    }
  }
  std::vector<std::string> ids;
  for (const auto& [d, id] : queued) ids.push_back(id);
  return ids;
}

std::shared_ptr<operation> engine::restart(const std::string& name) {
  if (shutting_down_) throw error(errc::unavailable, "jaild is shutting down");
  if (!current()->find(name))
    throw error(errc::jail_not_found, fmt::format("no jail named '{}'", name));
  // A restart is a stop of the jail alone (its dependents keep running, as
  // jail -rc does), then a start; the start's operation is the answer. The
  // start is queued when the stop has ended, by a continuation: no thread
  // waits for the stop.
  std::shared_ptr<operation> stop_op, start_op;
  {
    guard lock(runtime_mutex_);
    refuse_if_deleting(name);
    auto rt = runtime_of(name);
    if (!(is_down(rt->state) && !rt->handle)) {  // when nothing runs, a restart is a start
      refuse_if_full(name);
      stop_options_api o;
      o.reason = "restart";
      stop_op = queue_stop(name, o, {});
      start_op = enqueue(name, op_kind::start, "restart");
      ++handoffs_[name];
    } else {
      totals_.restarts++;
    }
  }
  start_options so;
  so.reason = "restart";
  if (!stop_op) return start(name, so);
  queue_->then({stop_op->id()}, [this, name, so, stop_op, start_op] {
    auto fail = [&](errc code, const std::string& why) {
      guard lock(runtime_mutex_);
      start_op->fail(code, why);
      finish(start_op);
    };
    if (stop_op->state() == op_state::failed) {
      fail(stop_op->error_code(), "restart: the stop failed: " + stop_op->error());
    } else {
      {
        guard lock(runtime_mutex_);
        totals_.restarts++;
      }
      try {
        start_with(name, so, start_op);
      } catch (const error& e) {
        fail(e.code(), e.what());
      }
    }
    guard lock(runtime_mutex_);
    if (--handoffs_[name] == 0) handoffs_.erase(name);
  });
  return start_op;
}

// ---------------------------------------------------------------------------
// The launcher.

bool engine::ready(const std::string& name) const {
  // Caller holds runtime_mutex_.
  auto it = runtimes_.find(name);
  if (it == runtimes_.end()) return false;
  const auto& rt = *it->second;
  if (rt.state != model::jail_state::running) return false;
  auto entry = current()->find(name);
  if (entry && entry->spec.health) return rt.health == model::health_state::healthy;
  return true;
}

void engine::pump() {
  // Caller holds runtime_mutex_.
  if (shutting_down_) return;
  auto snap = current();
  const auto decided = launcher_.pass(
      clock::now(),
      [&](const std::string& jail) -> std::optional<std::vector<std::string>> {
        auto entry = snap->find(jail);
        if (!entry) return std::nullopt;
        return entry->spec.depend;
      },
      [&](const std::string& dep, std::string& detail) REQUIRES(runtime_mutex_) {
        if (!snap->find(dep)) return launcher::dependency_state::missing;
        return dependency_state_of(dep, detail);
      },
      model::check::format_duration(options_.ready_timeout));
  for (const auto& op : decided.launch)
    queue_->push(op->jail(), op->id(), {}, [this, op] { run_start(op); });
  for (const auto& f : decided.fail) {
    f.op->fail(f.code, f.message);
    finish(f.op);  // another pass, over what the launcher still holds
  }
  if (decided.next_deadline) {
    const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(
                           *decided.next_deadline - clock::now()) +
                       std::chrono::milliseconds(1);
    sched_->after(std::max(delay, std::chrono::milliseconds(1)), [this] {
      guard l(runtime_mutex_);
      pump();
    });
  }
}

launcher::dependency_state engine::dependency_state_of(const std::string& dep,
                                                       std::string& detail) {
  // Caller holds runtime_mutex_. The launcher itself knows the starts it holds.
  using state = launcher::dependency_state;
  if (ready(dep)) return state::ready;
  auto it = runtimes_.find(dep);
  if (it == runtimes_.end()) {
    detail = "stopped";
    return state::down;
  }
  const auto& rt = *it->second;
  if (rt.restart_timer || handoffs_.count(dep)) return state::coming;
  if (rt.state == model::jail_state::starting) return state::coming;
  if (rt.state == model::jail_state::running) return state::coming;  // health still starting
  if (!rt.current_op.empty()) {
    auto op = recent_ops_.find(rt.current_op);
    if (op != recent_ops_.end() && op->second->kind() != op_kind::stop) return state::coming;
  }
  detail = fmt::format("{}{}", model::jail_state_name(rt.state),
                       rt.last_error.empty() ? "" : ": " + rt.last_error);
  return state::down;
}

void engine::finish(const std::shared_ptr<operation>& op) {
  // Caller holds runtime_mutex_.
  store_.save_operation(op->to_row());
  model::event ev;
  ev.type = "operation.finished";
  ev.jail = op->jail();
  ev.data = {{"id", op->id()},
             {"kind", op_kind_name(op->kind())},
             {"state", op_state_name(op->state())},
             {"error", op->error()}};
  emit(ev);
  publish_status(op->jail());  // the status no longer names the operation
  op->complete();
  static thread_local unsigned finished = 0;
  if (++finished % 64 == 0) store_.prune_operations(options_.operations_kept);
  queue_->finished(op->id());  // the jail's next operation, and what waited for this one
  pump();
}

void engine::run_operation(const std::shared_ptr<operation>& op,
                           const std::function<void(op_journal&)>& body,
                           const std::function<void()>& on_end) {
  {
    guard lock(runtime_mutex_);
    runtime_of(op->jail())->current_op = op->id();
  }
  op->begin();
  store_.save_operation(op->to_row());
  op_journal journal(*op, store_);
  try {
    body(journal);
    if (!op->finished()) op->succeed();
  } catch (const error& e) {
    if (!op->finished()) op->fail(e.code(), e.what());
  } catch (const std::exception& e) {
    if (!op->finished()) op->fail(errc::internal, e.what());
  }
  guard lock(runtime_mutex_);
  runtime_of(op->jail())->current_op.clear();
  if (on_end) on_end();
  finish(op);
}

// ---------------------------------------------------------------------------
// Running operations. Each runs on a worker, holding its jail's turn.

void engine::run_start(const std::shared_ptr<operation>& op) {
  const auto name = op->jail();
  // After the steps, before the start ends (so that whoever waits for the
  // start sees it done): a change stored while it was starting (which found
  // no running jail to apply to) is applied, limits and cpuset in an update
  // queued behind this start, drift for what needs a restart.
  run_operation(
      op,
      [&](op_journal& journal) {
        start_steps(*op, journal);
        apply_live(name);
      },
      [this, name]() REQUIRES(runtime_mutex_) {  // run_operation calls it under the lock
        launcher_.ended(name);
      });
}

void engine::start_steps(operation& op, op_journal& journal) {
  const auto& name = op.jail();
  const auto began = clock::now();
  std::shared_ptr<jail_runtime> rt;
  model::jail_spec spec;
  {
    guard lock(runtime_mutex_);
    rt = runtime_of(name);
    auto entry = current()->find(name);
    if (!entry) throw error(errc::jail_not_found, fmt::format("jail '{}' was deleted", name));
    if (rt->state == model::jail_state::running && rt->handle) {
      journal.record(engine_step("already running", {name}, began));
      return;
    }
    spec = entry->spec;
  }

  std::string instance;
  std::vector<host::resolved_interface> interfaces;
  std::vector<std::string> warnings;
  try {
    warnings = host_.check(spec);
    instance = instance_tag_ + base36(store_.next_counter("instance"));
    interfaces = interfaces_for(spec, instance);
  } catch (const error& e) {
    journal.record(engine_step("validate", {name}, began, e.what()));
    guard lock(runtime_mutex_);
    rt->last_error = e.what();
    set_state(*rt, model::jail_state::failed, e.what());
    totals_.start_failures++;
    rt->counts.start_failures++;
    throw;
  }
  host::jail_context ctx;
  {
    guard lock(runtime_mutex_);
    rt->instance = instance;
    rt->interfaces = interfaces;
    rt->warnings = warnings;
    rt->last_error.clear();
    rt->health = model::health_state::none;
    rt->handle.reset();
    set_state(*rt, model::jail_state::starting, op.id());
    ctx = context_for(spec, *rt);
  }
  std::vector<std::string> reserve_argv{"instance", instance};
  for (const auto& i : interfaces) reserve_argv.push_back(i.host_end + "/" + i.jail_end + "@" + i.bridge);
  journal.record(engine_step("reserve", reserve_argv, began));

  std::error_code ec;
  std::filesystem::create_directories(ctx.run_dir, ec);
  std::filesystem::create_directories(console_log_path(name).parent_path(), ec);

  store_ledger durable(store_);
  tracking_ledger objects(durable);
  try {
    auto handle = start_pipeline(host_, ctx, journal, objects);
    guard lock(runtime_mutex_);
    rt->handle = handle;
    rt->started_ms = store::now_ms();
    rt->up_since = clock::now();
    rt->health = spec.health ? model::health_state::starting : model::health_state::none;
    rt->health_failures = 0;
    rt->applied = spec;
    rt->drift = false;
    set_state(*rt, model::jail_state::running, op.reason());
    totals_.starts++;
    rt->counts.starts++;
  } catch (const std::exception& e) {
    guard lock(runtime_mutex_);
    rt->last_error = e.what();
    rt->instance.clear();
    rt->interfaces.clear();
    set_state(*rt, model::jail_state::failed, e.what());
    totals_.start_failures++;
    rt->counts.start_failures++;
    throw;
  }
  // Watched only now: an exit during the start failed the start above.
  watch(*rt);
  guard lock(runtime_mutex_);
  start_health(*rt);
}

void engine::run_stop(const std::shared_ptr<operation>& op, const stop_options_api& options) {
  run_operation(op, [&](op_journal& journal) { stop_steps(*op, options, journal); });
}

void engine::stop_steps(operation& op, const stop_options_api& options, op_journal& journal) {
  const auto& name = op.jail();
  const auto began = clock::now();
  std::shared_ptr<jail_runtime> rt;
  std::optional<host::running_jail> handle;
  model::jail_spec spec;
  host::jail_context ctx;
  {
    guard lock(runtime_mutex_);
    rt = runtime_of(name);
    cancel_timers(*rt);
    if (auto entry = current()->find(name)) spec = entry->spec;
    handle = rt->handle;
    if (!handle) {
      journal.record(engine_step("not running", {name}, began));
      if (rt->state == model::jail_state::crashloop || rt->state == model::jail_state::failed)
        set_state(*rt, model::jail_state::stopped, "stop requested");
      return;
    }
    set_state(*rt, model::jail_state::stopping, options.reason);
    ctx = context_for(spec, *rt);
  }
  host_.unwatch(*handle);
  store_ledger durable(store_);
  stop_options so;
  so.force = options.force;
  try {
    stop_pipeline(host_, ctx, *handle, objects_of(name), journal, durable, so);
  } catch (const std::exception& e) {
    const bool still_there = host_.alive(*handle);
    {
      guard lock(runtime_mutex_);
      rt->last_error = e.what();
      if (still_there) {
        // A prestop or stop hook refused: the jail runs on, as jail(8) leaves it.
        set_state(*rt, model::jail_state::running, "stop failed");
      } else {
        rt->handle.reset();
        rt->instance.clear();
        set_state(*rt, model::jail_state::stopped, "stopped; cleanup incomplete");
      }
    }
    if (still_there) {
      watch(*rt);
      guard lock(runtime_mutex_);
      start_health(*rt);
    }
    release_bridges(journal);
    throw;
  }
  {
    guard lock(runtime_mutex_);
    rt->handle.reset();
    rt->instance.clear();
    rt->started_ms.reset();
    rt->health = model::health_state::none;
    rt->last_error.clear();
    rt->applied.reset();
    rt->drift = false;
    set_state(*rt, model::jail_state::stopped, options.reason);
    totals_.stops++;
    rt->counts.stops++;
  }
  release_bridges(journal);
}

}  // namespace jaild::engine

namespace jaild::engine {

void engine::release_bridges(host::journal& steps) {
  std::set<std::string> in_use;
  {
    guard lock(runtime_mutex_);
    for (const auto& [name, rt] : runtimes_) {
      if (is_down(rt->state)) continue;
      for (const auto& i : rt->interfaces) in_use.insert(i.bridge);
    }
  }
  store_ledger durable(store_);
  for (const auto& row : store_.ledger_rows()) {
    if (row.kind != "bridge" || in_use.count(row.key)) continue;
    try {
      host_.destroy({host::object_kind::bridge, row.owner, row.key, row.attrs}, {steps, durable});
    } catch (const std::exception& e) {
      spdlog::warn("bridge {}: {}", row.key, e.what());
    }
  }
}

std::shared_ptr<operation> engine::find_operation(const std::string& id) {
  {
    guard lock(runtime_mutex_);
    if (auto it = recent_ops_.find(id); it != recent_ops_.end()) return it->second;
  }
  if (auto row = store_.load_operation(id)) return operation::from_row(*row);
  return nullptr;
}

std::vector<nlohmann::json> engine::list_operations(const std::string& jail, std::size_t limit) {
  std::vector<nlohmann::json> out;
  for (const auto& row : store_.list_operations(jail, limit)) {
    if (auto op = find_operation(row.id)) out.push_back(op->to_json());
  }
  return out;
}

host::exec_result engine::exec(const std::string& name, const host::exec_request& request) {
  auto target = running(name);
  return host_.exec(target.ctx, target.handle, request);
}

std::unique_ptr<host::exec_session> engine::open_exec(const std::string& name,
                                                      const host::exec_stream_request& request) {
  auto target = running(name);
  return host_.open_exec(target.ctx, target.handle, request);
}

void engine::require_running(const std::string& name) { (void)running(name); }

void engine::signal(const std::string& name, host::signal_target target, int sig) {
  auto t = running(name);
  host_.signal(t.ctx, t.handle, target, sig);
}

engine::running_jail_target engine::running(const std::string& name) {
  require(name);
  std::optional<host::running_jail> handle;
  host::jail_context ctx;
  {
    guard lock(runtime_mutex_);
    auto it = runtimes_.find(name);
    if (it != runtimes_.end() && it->second->state == model::jail_state::running &&
        it->second->handle) {
      handle = it->second->handle;
      // Held to the confinement the jail was started with.
      if (auto entry = current()->find(name))
        ctx = context_for(it->second->applied ? *it->second->applied : entry->spec, *it->second);
    }
  }
  if (!handle)
    throw error(errc::jail_running, fmt::format("jail '{}' is not running", name));
  return {*handle, std::move(ctx)};
}

std::map<std::string, double> engine::stats(const std::string& name) {
  require(name);
  std::optional<host::running_jail> handle;
  {
    guard lock(runtime_mutex_);
    auto it = runtimes_.find(name);
    if (it != runtimes_.end() && it->second->state == model::jail_state::running)
      handle = it->second->handle;
  }
  if (!handle) return {};
  return host_.usage(*handle);
}

}  // namespace jaild::engine

namespace jaild::engine {
namespace {

// Fields a running jail takes without a restart: the supervisor's own, the
// limits, cpuset and published ports (applied live), the hooks read only
// when it stops, and labels, which jaild never acts on.
model::jail_spec without_live_fields(model::jail_spec s) {
  s.labels.clear();
  s.limits.clear();
  s.ports.clear();
  s.cpuset.clear();
  s.health.reset();
  s.restart = {};
  s.boot = false;
  s.priority = 0;
  s.depend.clear();
  s.stop_timeout = {};
  s.exec.prestop.clear();
  s.exec.stop.clear();
  s.exec.poststop.clear();
  s.exec.release.clear();
  s.exec.timeout = {};
  s.exec.consolelog.clear();
  return s;
}

}  // namespace

std::shared_ptr<operation> engine::apply_live(const std::string& name) {
  auto entry = current()->find(name);
  if (!entry) return nullptr;
  const auto& spec = entry->spec;
  std::shared_ptr<operation> op;
  {
    guard lock(runtime_mutex_);
    auto it = runtimes_.find(name);
    if (it == runtimes_.end() || it->second->state != model::jail_state::running ||
        !it->second->handle)
      return nullptr;
    auto& rt = *it->second;
    if (!rt.applied) rt.applied = spec;  // (start and adoption record it; never unset here)
    const auto& applied = *rt.applied;
    rt.drift = without_live_fields(applied) != without_live_fields(spec);
    if (applied.health != spec.health) {
      if (rt.health_timer) sched_->cancel(rt.health_timer);
      rt.health_timer = 0;
      rt.health_failures = 0;
      rt.health = spec.health ? model::health_state::starting : model::health_state::none;
      rt.up_since = clock::now();  // a new start period for the new check
      rt.applied->health = spec.health;
      start_health(rt);
    }
    const bool limits = applied.limits != spec.limits || applied.cpuset != spec.cpuset;
    const bool ports = applied.ports != spec.ports;
    if (limits || ports) {
      op = enqueue(name, op_kind::update,
                   limits && ports ? "limits and ports changed"
                   : limits        ? "limits or cpuset changed"
                                   : "ports changed");
      queue_->push(name, op->id(), {}, [this, op, spec] {
        run_operation(op, [&](op_journal& journal) { update_steps(*op, spec, journal); });
      });
    }
    publish_status(name);
  }
  return op;
}

void engine::update_steps(operation& op, const model::jail_spec& spec, op_journal& journal) {
  const auto& name = op.jail();
  std::shared_ptr<jail_runtime> rt;
  std::optional<host::running_jail> handle;
  host::jail_context ctx;
  {
    guard lock(runtime_mutex_);
    rt = runtime_of(name);
    if (rt->state == model::jail_state::running) handle = rt->handle;
    if (handle) ctx = context_for(spec, *rt);
  }
  if (!handle) {
    journal.record(engine_step("not running", {name}, clock::now()));
    return;
  }
  store_ledger durable(store_);
  model::jail_spec applied;
  {
    guard lock(runtime_mutex_);
    applied = rt->applied ? *rt->applied : spec;
  }
  // One live change: a failure is the jail's last error, and drift.
  auto live = [&](const char* what, const auto& change) {
    try {
      change();
    } catch (const std::exception& e) {
      guard lock(runtime_mutex_);
      rt->last_error = std::string("live change of ") + what + " failed: " + e.what();
      rt->drift = true;
      throw;
    }
  };
  if (applied.limits != spec.limits || applied.cpuset != spec.cpuset) {
    live("limits", [&] { host_.update_limits(ctx, *handle, {journal, durable}); });
    guard lock(runtime_mutex_);
    if (rt->applied) {
      rt->applied->limits = spec.limits;
      rt->applied->cpuset = spec.cpuset;
    }
  }
  if (applied.ports != spec.ports) {
    live("ports", [&] { update_ports(ctx, *handle, journal, durable); });
    guard lock(runtime_mutex_);
    if (rt->applied) rt->applied->ports = spec.ports;
    publish_status(name);
  }
}

void engine::update_ports(const host::jail_context& ctx, const host::running_jail& handle,
                          op_journal& journal, host::ledger& durable) {
  bool nat = false;
  for (const auto& i : ctx.interfaces) nat = nat || i.nat.has_value();
  if (!ctx.spec.ports.empty() || nat) {
    // The adapter replaces the jail's rules as a whole.
    host_.publish(ctx, handle, {journal, durable});
    return;
  }
  // Nothing to publish any more: the jail's rules go.
  std::vector<host::object> rules;
  for (const auto& obj : objects_of(ctx.spec.name))
    if (obj.kind == host::object_kind::firewall) rules.push_back(obj);
  if (auto e = destroy_all(host_, rules, {journal, durable}); !e.empty())
    throw error(errc::host_failure, e);
}

}  // namespace jaild::engine

