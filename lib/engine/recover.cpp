// Reconciling with the kernel at start-up, before writes are served, and
// booting. jaild may have been killed at any moment: the store says what it
// believed, the ledger what it had created, the kernel what is true.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <set>

#include "lib/engine/engine.h"
#include "lib/engine/pipeline.h"
#include "lib/engine/runtime.h"
#include "lib/engine/store_ledger.h"
#include "lib/model/error.h"
#include "lib/plan/graph.h"

namespace jaild::engine {
namespace {

// The journal of reconciling: steps go to the log.
class log_journal : public host::journal {
 public:
  void record(const host::step_record& s) override {
    std::string argv;
    for (const auto& a : s.argv) argv += (argv.empty() ? "" : " ") + a;
    if (s.ok())
      spdlog::info("reconcile: {} {}", s.step, argv);
    else
      spdlog::warn("reconcile: {} {}: {}", s.step, argv, s.error);
  }
};

}  // namespace

// reconcile() in its phases, in the order they run. Each phase counts what it
// did in `tally`; the summary is the daemon.reconciled event.
nlohmann::json engine::reconcile() {
  const auto began = std::chrono::steady_clock::now();
  log_journal journal;
  store_ledger durable(store_);
  reconcile_tally tally;

  fail_interrupted_operations(tally);
  // Roots that a create was making when jaild stopped: their jail was
  // never written, so nothing else would remove them.
  remove_unfinished_roots();
  const auto keep = settle_recorded_jails(journal, durable, tally);
  settle_unrecorded_jails(tally);
  remove_orphans(keep, journal, durable, tally);
  const auto unknown = unknown_jails();

  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - began)
                      .count();
  nlohmann::json summary = {{"adopted", tally.adopted},
                            {"vanished", tally.vanished},
                            {"rolled_back", tally.rolled_back},
                            {"interrupted_operations", tally.interrupted},
                            {"objects_removed", tally.orphans},
                            {"unknown_jails", unknown},
                            {"duration_ms", ms}};
  model::event ev;
  ev.type = "daemon.reconciled";
  ev.data = summary;
  emit(ev);
  return summary;
}

void engine::fail_interrupted_operations(reconcile_tally& tally) {
  // Operations that were under way when jaild stopped.
  for (auto& row : store_.list_operations("", 100000, true)) {
    row.state = "failed";
    row.error = "unavailable: jaild stopped during this operation; rolled back at restart";
    row.finished_ms = store::now_ms();
    store_.save_operation(row);
    ++tally.interrupted;
  }
}

std::set<std::string> engine::settle_recorded_jails(host::journal& journal, host::ledger& durable,
                                                    reconcile_tally& tally) {
  // Jails whose handle was recorded: adopted when alive and fully started,
  // otherwise rolled back. Host calls are made without the runtime lock.
  std::vector<std::shared_ptr<jail_runtime>> recorded;
  {
    guard lock(runtime_mutex_);
    for (auto& [name, rt] : runtimes_)
      if (rt->handle) recorded.push_back(rt);
  }
  std::set<std::string> keep;  // jails whose objects stay
  for (const auto& rt : recorded) {
    const bool alive = host_.alive(*rt->handle);
    const bool defined = current()->find(rt->name) != nullptr;
    if (alive && defined && rt->state == model::jail_state::running) {
      adopt(*rt, journal, durable);
      keep.insert(rt->name);
      ++tally.adopted;
    } else {
      roll_back(*rt, alive, defined, journal, durable, tally);
    }
  }
  return keep;
}

void engine::adopt(jail_runtime& rt, host::journal& journal, host::ledger& durable) {
  // Still there and fully started: adopt it, no restart. What it runs with
  // is not recorded, and jaild may have died between storing a change of
  // limits and applying it: the stored limits and cpuset are applied again,
  // and from now on the stored spec is what it runs.
  const auto spec = current()->find(rt.name)->spec;
  std::string why;
  try {
    host::jail_context ctx;
    {
      guard lock(runtime_mutex_);
      ctx = context_for(spec, rt);
    }
    try {
      host_.resume_services(ctx, *rt.handle);
    } catch (const std::exception& e) {
      spdlog::warn("jail {}: its DHCP leases are not served: {}", rt.name, e.what());
    }
    host_.update_limits(ctx, *rt.handle, {journal, durable});
  } catch (const std::exception& e) {
    why = e.what();
  }
  {
    guard lock(runtime_mutex_);
    rt.up_since = std::chrono::steady_clock::now();
    if (spec.health) rt.health = model::health_state::starting;
    rt.applied = spec;
    rt.drift = !why.empty();
    if (!why.empty()) rt.last_error = "the stored limits could not be applied: " + why;
    set_state(rt, model::jail_state::running, "adopted after jaild restarted");
  }
  watch(rt);
  guard lock(runtime_mutex_);
  start_health(rt);
}

void engine::roll_back(jail_runtime& rt, bool alive, bool defined, host::journal& journal,
                       host::ledger& durable, reconcile_tally& tally) {
  // Gone, half started, half stopped, or no longer defined: remove what is
  // left, newest first, as a stop would.
  model::jail_spec spec;
  if (auto entry = current()->find(rt.name))
    spec = entry->spec;
  else
    spec.name = rt.name;
  host::jail_context ctx;
  {
    guard lock(runtime_mutex_);
    ctx = context_for(spec, rt);
  }
  stop_options so;
  so.force = true;
  so.already_gone = !alive;
  std::string why;
  try {
    stop_pipeline(host_, ctx, *rt.handle, objects_of(rt.name), journal, durable, so);
  } catch (const std::exception& e) {
    why = e.what();
  }
  guard lock(runtime_mutex_);
  const bool was_running = rt.state == model::jail_state::running;
  rt.handle.reset();
  rt.instance.clear();
  rt.health = model::health_state::none;
  if (alive) {
    rt.last_error = fmt::format("jaild stopped while the jail was {}; rolled back",
                                model::jail_state_name(rt.state));
    ++tally.rolled_back;
  } else {
    rt.last_error = was_running ? "exited while jaild was not running" : rt.last_error;
    ++tally.vanished;
  }
  if (!why.empty()) rt.last_error += "; cleanup: " + why;
  if (defined)
    set_state(rt, model::jail_state::failed, rt.last_error);
  else
    runtimes_.erase(rt.name);
}

void engine::settle_unrecorded_jails(reconcile_tally& tally) {
  // A start or stop that had not got as far as recording the jail's handle:
  // what it created is in the ledger and goes with remove_orphans().
  guard lock(runtime_mutex_);
  for (auto& [name, rt] : runtimes_) {
    if (rt->handle) continue;
    if (rt->state == model::jail_state::starting) {
      rt->instance.clear();
      rt->interfaces.clear();
      rt->last_error = "jaild stopped while the jail was starting; rolled back";
      set_state(*rt, model::jail_state::failed, rt->last_error);
      ++tally.rolled_back;
    } else if (rt->state == model::jail_state::stopping) {
      rt->instance.clear();
      rt->interfaces.clear();
      set_state(*rt, model::jail_state::stopped, "jaild stopped while the jail was stopping");
      ++tally.rolled_back;
    }
  }
}

void engine::remove_orphans(const std::set<std::string>& keep, host::journal& journal,
                            host::ledger& durable, reconcile_tally& tally) {
  // Ledger objects no kept jail owns: leftovers of a crash between "recorded"
  // and "created", of deleted jails, or of bridges nobody uses any more.
  std::set<std::string> bridges_in_use;
  {
    guard lock(runtime_mutex_);
    for (const auto& name : keep)
      for (const auto& i : runtimes_.at(name)->interfaces) bridges_in_use.insert(i.bridge);
  }
  auto rows = store_.ledger_rows();
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    const auto& row = *it;
    if (keep.count(row.owner)) continue;
    if (row.kind == "bridge" && bridges_in_use.count(row.key)) continue;
    auto kind = host::object_kind_from_name(row.kind);
    if (!kind) continue;
    try {
      host_.destroy({*kind, row.owner, row.key, row.attrs}, {journal, durable});
      ++tally.orphans;
    } catch (const std::exception& e) {
      spdlog::warn("reconcile: cannot remove {} {}: {}", row.kind, row.key, e.what());
    }
  }
}

std::vector<std::string> engine::unknown_jails() {
  // Jails in the kernel that carry jaild's mark but that jaild knows nothing
  // of: never removed (jaild removes only what its ledger owns), only reported.
  std::vector<std::string> unknown;
  const auto listed = host_.list_jails();
  guard lock(runtime_mutex_);
  for (const auto& j : listed) {
    auto it = runtimes_.find(j.name);
    if (it == runtimes_.end() || !it->second->handle || !(*it->second->handle == j))
      unknown.push_back(j.name);
  }
  for (const auto& n : unknown)
    spdlog::warn("reconcile: jail '{}' runs with jaild's mark but is not in its records; "
                 "left alone",
                 n);
  return unknown;
}

void engine::boot() {
  auto snap = current();
  const auto& nodes = snap->graph();
  std::set<std::string> wanted;
  {
    guard lock(runtime_mutex_);
    for (const auto& [name, entry] : snap->jails()) {
      auto rt = runtime_of(name);
      if (rt->state == model::jail_state::running) continue;
      using model::restart_policy;
      const auto policy = entry->spec.restart.policy;
      // boot=true; "always" comes back with the daemon; "unless-stopped" and
      // "on-failure" come back when the user had not stopped them.
      const bool by_policy =
          policy == restart_policy::always ||
          ((policy == restart_policy::unless_stopped || policy == restart_policy::on_failure) &&
           rt->desired == "running");
      if (entry->spec.boot || by_policy) wanted.insert(name);
    }
  }
  if (wanted.empty()) return;
  auto cycle = plan::find_cycle(nodes);
  if (!cycle.empty()) {
    spdlog::error("boot: depend forms a cycle ({}); starting nothing that is part of it",
                  plan::describe_cycle(cycle));
  }
  spdlog::info("boot: starting {} jail(s)", wanted.size());
  for (const auto& wave : plan::start_waves(nodes, wanted))
    for (const auto& name : wave) {
      try {
        start_options so;
        so.reason = "boot";
        start(name, so);
      } catch (const std::exception& e) {
        spdlog::error("boot: {}: {}", name, e.what());
      }
    }
}

}  // namespace jaild::engine
