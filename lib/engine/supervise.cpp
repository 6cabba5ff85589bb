// Supervision: a jail that ends without being asked to is cleaned up and,
// by its restart policy, started again with a doubling backoff; too many
// restarts in a window is a crashloop. Health checks feed readiness.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "lib/engine/engine.h"
#include "lib/engine/pipeline.h"
#include "lib/engine/probe.h"
#include "lib/engine/runtime.h"
#include "lib/engine/store_ledger.h"
#include "lib/model/address.h"
#include "lib/model/error.h"
#include "lib/model/validate.h"

namespace jaild::engine {
namespace {

using clock = std::chrono::steady_clock;


}  // namespace

void engine::watch(jail_runtime& rt) {
  if (!rt.handle) return;
  start_liveness();
  const auto handle = *rt.handle;
  const auto name = rt.name;
  const auto instance = rt.instance;
  const bool watching = host_.watch(handle, [this, name, instance](host::exit_info info) {
    on_exit(name, instance, info);
  });
  if (!watching) on_exit(name, instance, {-1, false});  // gone before we looked
  watch_addresses(name, instance);
}

void engine::on_exit(const std::string& name, const std::string& instance,
                     host::exit_info info) {
  // The adapter's thread: hand over at once.
  sched_->post([this, name, instance, info] { handle_exit(name, instance, info); });
}

void engine::cancel_timers(jail_runtime& rt) {
  if (rt.restart_timer) sched_->cancel(rt.restart_timer);
  if (rt.health_timer) sched_->cancel(rt.health_timer);
  if (rt.address_timer) sched_->cancel(rt.address_timer);
  rt.restart_timer = rt.health_timer = rt.address_timer = 0;
  rt.dynamic_addresses.clear();
}

void engine::handle_exit(const std::string& name, const std::string& instance,
                         host::exit_info info) {
  guard lock(runtime_mutex_);
  auto it = runtimes_.find(name);
  if (it == runtimes_.end() || it->second->instance != instance || !it->second->handle)
    return;  // an older incarnation, or already handled
  if (it->second->state != model::jail_state::running) return;  // an operation owns it
  auto op = enqueue(name, op_kind::recover,
                    info.known ? fmt::format("exited with status {}", info.status)
                               : std::string("exited"));
  totals_.crashes++;
  it->second->counts.crashes++;
  queue_->push(name, op->id(), {}, [this, op, instance, info] {
    run_operation(op, [&](op_journal& journal) { recover_steps(*op, instance, info, journal); });
  });
}

void engine::recover_steps(operation& op, const std::string& instance, host::exit_info info,
                           op_journal& journal) {
  const auto& name = op.jail();
  std::shared_ptr<jail_runtime> rt;
  model::jail_spec spec;
  host::jail_context ctx;
  std::optional<host::running_jail> handle;
  std::chrono::milliseconds uptime{0};
  {
    guard lock(runtime_mutex_);
    rt = runtime_of(name);
    if (rt->instance != instance || !rt->handle) return;  // stopped or restarted meanwhile
    if (auto entry = current()->find(name)) spec = entry->spec;
    handle = rt->handle;
    ctx = context_for(spec, *rt);
    cancel_timers(*rt);
    uptime = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - rt->up_since);
    rt->last_exit = info.known ? std::optional<int>(info.status) : std::nullopt;
    model::event ev;
    ev.type = "jail.exited";
    ev.jail = name;
    ev.data = {{"status", info.known ? nlohmann::json(info.status) : nlohmann::json(nullptr)},
               {"uptime_ms", uptime.count()},
               {"jid", handle->jid}};
    emit(ev);
  }
  // jail(8) leaves a crashed jail's mounts and interfaces behind; jaild does not.
  std::string cleanup_error;
  try {
    store_ledger durable(store_);
    stop_options so;
    so.already_gone = true;
    stop_pipeline(host_, ctx, *handle, objects_of(name), journal, durable, so);
  } catch (const std::exception& e) {
    cleanup_error = e.what();
  }
  release_bridges(journal);

  guard lock(runtime_mutex_);
  rt->handle.reset();
  rt->instance.clear();
  rt->health = model::health_state::none;
  rt->applied.reset();
  rt->drift = false;
  const bool clean_end = info.known && info.status == 0 && !spec.persist;
  rt->last_error = clean_end ? std::string()
                             : (info.known ? fmt::format("exited with status {}", info.status)
                                           : std::string("exited"));
  if (!cleanup_error.empty()) rt->last_error += "; cleanup: " + cleanup_error;
  set_state(*rt, clean_end ? model::jail_state::stopped : model::jail_state::failed,
            rt->last_error.empty() ? "exited" : rt->last_error);

  // The restart policy.
  using model::restart_policy;
  const auto& policy = spec.restart;
  bool want = false;
  switch (policy.policy) {
    case restart_policy::no: break;
    case restart_policy::always:
    case restart_policy::unless_stopped: want = true; break;
    case restart_policy::on_failure:
      want = !clean_end && !(info.known && info.status == 0) &&
             (policy.max_retries == 0 || rt->policy_retries < policy.max_retries);
      if (!want && policy.max_retries > 0 && rt->policy_retries >= policy.max_retries)
        rt->last_error += fmt::format("; not restarted: on-failure:{} reached", policy.max_retries);
      break;
  }
  if (rt->desired != "running") want = false;
  if (uptime >= options_.backoff_reset) rt->backoff_step = 0;
  if (want) schedule_restart(*rt, rt->last_error);
  publish_status(name);
  if (!cleanup_error.empty()) throw error(errc::host_failure, cleanup_error);
}

void engine::schedule_restart(jail_runtime& rt, const std::string& why) {
  // Caller holds runtime_mutex_.
  const auto now = clock::now();
  while (!rt.restart_times.empty() && now - rt.restart_times.front() > options_.crashloop_window)
    rt.restart_times.pop_front();
  if (static_cast<int>(rt.restart_times.size()) >= options_.crashloop_restarts) {
    rt.last_error = fmt::format("restarted {} times within {}; not restarting until a user starts "
                                "it ({})",
                                rt.restart_times.size(),
                                model::check::format_duration(options_.crashloop_window), why);
    set_state(rt, model::jail_state::crashloop, rt.last_error);
    return;
  }
  auto entry = current()->find(rt.name);
  const auto cap = entry ? entry->spec.restart.backoff_max : std::chrono::milliseconds(60'000);
  auto delay = options_.backoff_initial;
  for (int i = 0; i < rt.backoff_step && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  rt.backoff_step++;
  rt.policy_retries++;
  rt.restarts++;
  rt.restart_times.push_back(now);
  model::event ev;
  ev.type = "jail.restart_scheduled";
  ev.jail = rt.name;
  ev.data = {{"delay_ms", delay.count()}, {"attempt", rt.policy_retries}, {"reason", why}};
  emit(ev);
  const auto name = rt.name;
  rt.restart_timer = sched_->after(delay, [this, name] {
    {
      guard lock(runtime_mutex_);
      auto it = runtimes_.find(name);
      if (it == runtimes_.end() || !it->second->restart_timer) return;  // cancelled
      it->second->restart_timer = 0;
      if (it->second->desired != "running") return;
    }
    try {
      start_options so;
      so.reason = "restart policy";
      so.by_policy = true;
      start(name, so);
    } catch (const std::exception& e) {
      spdlog::warn("restart of {}: {}", name, e.what());
    }
  });
}

// ---------------------------------------------------------------------------
// Health checks.

void engine::start_health(jail_runtime& rt) {
  // Caller holds runtime_mutex_.
  auto entry = current()->find(rt.name);
  if (!entry || !entry->spec.health || !rt.handle) return;
  const auto name = rt.name;
  const auto instance = rt.instance;
  rt.health_timer = sched_->after(std::chrono::milliseconds(0),
                                  [this, name, instance] { probe(name, instance); });
}

void engine::probe(const std::string& name, const std::string& instance) {
  model::jail_spec spec;
  host::jail_context ctx;
  jail_runtime copy;
  {
    guard lock(runtime_mutex_);
    auto it = runtimes_.find(name);
    if (it == runtimes_.end() || it->second->instance != instance ||
        it->second->state != model::jail_state::running)
      return;
    auto entry = current()->find(name);
    if (!entry || !entry->spec.health) return;
    spec = entry->spec;
    copy.name = it->second->name;
    copy.handle = it->second->handle;
    copy.interfaces = it->second->interfaces;
    // An exec check runs with the confinement the jail was started with.
    ctx = context_for(it->second->applied ? *it->second->applied : spec, *it->second);
  }
  std::string detail;
  const bool ok = run_probe(spec, ctx, copy, detail);

  guard lock(runtime_mutex_);
  auto it = runtimes_.find(name);
  if (it == runtimes_.end() || it->second->instance != instance ||
      it->second->state != model::jail_state::running)
    return;
  auto& rt = *it->second;
  const auto& h = *spec.health;
  const bool in_start_period = clock::now() - rt.up_since < h.start_period;
  auto next = rt.health;
  if (ok) {
    rt.health_failures = 0;
    next = model::health_state::healthy;
  } else if (!in_start_period) {
    rt.health_failures++;
    if (rt.health_failures >= h.retries) next = model::health_state::unhealthy;
  }
  rt.health_detail = ok ? "" : detail;
  if (next != rt.health) {
    model::event ev;
    ev.type = "jail.health";
    ev.jail = name;
    ev.data = {{"from", model::health_state_name(rt.health)},
               {"to", model::health_state_name(next)},
               {"detail", detail}};
    rt.health = next;
    if (next == model::health_state::unhealthy) rt.last_error = "unhealthy: " + detail;
    if (next == model::health_state::healthy && rt.last_error.starts_with("unhealthy"))
      rt.last_error.clear();
    emit(ev);
    publish_status(name);
    pump();  // readiness changed
  }
  rt.health_timer = sched_->after(h.interval, [this, name, instance] { probe(name, instance); });
}

bool engine::run_probe(const model::jail_spec& spec, const host::jail_context& ctx,
                       const jail_runtime& rt, std::string& detail) {
  const auto& h = *spec.health;
  try {
    if (!h.exec.empty()) {
      host::exec_request req;
      req.argv = h.exec;
      req.timeout = h.timeout;
      auto r = host_.exec(ctx, *rt.handle, req);
      if (r.exit_code == 0) return true;
      detail = r.timed_out ? fmt::format("{} timed out after {}", h.exec.front(),
                                         model::check::format_duration(h.timeout))
                           : fmt::format("{} exited {}: {}", h.exec.front(), r.exit_code,
                                         r.error.substr(0, 200));
      return false;
    }
    if (!h.tcp.empty()) {
      std::string host_part;
      std::string port_part = h.tcp;
      if (auto colon = h.tcp.rfind(':'); colon != std::string::npos) {
        host_part = h.tcp.substr(0, colon);
        port_part = h.tcp.substr(colon + 1);
        if (host_part.size() > 2 && host_part.front() == '[')
          host_part = host_part.substr(1, host_part.size() - 2);
      }
      if (host_part.empty()) {
        // The jail's own first address.
        for (const auto& i : rt.interfaces) {
          for (const auto& a : i.ip4)
            if (host_part.empty()) host_part = a.substr(0, a.find('/'));
          // The lease the network's DHCP server hands out.
          if (host_part.empty() && !i.lease4.empty())
            host_part = i.lease4.substr(0, i.lease4.find('/'));
        }
        for (const auto& a : spec.ip4)
          if (auto parsed = model::parse_jail_address(a, false, nullptr); parsed && host_part.empty())
            host_part = parsed->addr;
      }
      if (host_part.empty()) {
        detail = "the tcp check names no host and the jail has no IPv4 address";
        return false;
      }
      return tcp_probe(host_part, std::stoi(port_part), h.timeout, detail);
    }
    return http_probe(h.http, h.timeout, detail);
  } catch (const std::exception& e) {
    detail = e.what();
    return false;
  }
}

}  // namespace jaild::engine
