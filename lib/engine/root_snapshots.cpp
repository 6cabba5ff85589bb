// Snapshots of the roots jaild made (issue 16, point 4). The Host port keeps
// them (btrfs snapshots, copies or a thin root's layer on Linux; ZFS on
// FreeBSD, provision.h); the engine checks the jail's state, holds it so
// that no start or delete runs meanwhile, and journals each change as a
// `provision` operation. A root jaild did not make has no snapshots: jaild
// never rolls back files it did not make.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "lib/engine/deferred.h"
#include "lib/engine/engine.h"
#include "lib/engine/runtime.h"
#include "lib/model/error.h"
#include "lib/model/release.h"

namespace jaild::engine {
namespace {

void check_name(const std::string& name) {
  if (auto why = model::check_snapshot_name(name); !why.empty())
    throw error(errc::invalid_value, why, "/name");
}

}  // namespace

host::root_request engine::made_root(const std::string& jail, const std::string& why,
                                     bool running_ok) {
  const auto entry = require(jail);
  const auto row = store_.find_root(jail);
  if (!entry->spec.root || !row || row->state != "made")
    throw error(errc::root_not_made,
                fmt::format("jail '{}' has a root that jaild did not make ({}); jaild snapshots and "
                            "archives only the roots it makes (a spec with \"root\")",
                            jail, entry->spec.path));
  if (!why.empty()) {
    guard lock(runtime_mutex_);
    refuse_if_deleting(jail);  // also: held for something else
    auto rt = runtime_of(jail);
    const bool down = is_down(rt->state) && !rt->handle;
    if (busy(jail))
      throw error(errc::operation_in_progress,
                  fmt::format("jail '{}' has an operation running; try again when it ends", jail));
    if (!down && !running_ok)
      throw error(errc::jail_running,
                  fmt::format("jail '{}' is {}; stop it first", jail,
                              model::jail_state_name(rt->state)));
    rt->held = why;
  }
  return root_request_for(entry->spec);
}

void engine::release_hold(const std::string& jail) {
  guard lock(runtime_mutex_);
  runtime_of(jail)->held.clear();
}

host::snapshot_support engine::snapshot_support(const std::string& jail) {
  return host_.snapshot_backend(made_root(jail, "", true));
}

std::vector<host::snapshot_info> engine::snapshots(const std::string& jail) {
  return host_.list_snapshots(made_root(jail, "", true));
}

host::snapshot_info engine::take_snapshot(const std::string& jail, const std::string& name) {
  check_name(name);
  const auto probe = made_root(jail, "", true);
  const auto support = host_.snapshot_backend(probe);
  if (support.backend.empty())
    throw error(errc::unsupported_on_platform,
                fmt::format("jail '{}': {}", jail, support.why_not));
  for (const auto& s : host_.list_snapshots(probe))
    if (s.name == name)
      throw error(errc::snapshot_exists,
                  fmt::format("jail '{}' has a snapshot named '{}' already", jail, name), "/name");
  auto r = made_root(jail, "being snapshotted", support.while_running);
  deferred unhold([&] { release_hold(jail); });
  host::snapshot_info made;
  run_provision(jail, fmt::format("snapshot '{}' ({})", name, support.backend),
                [&](host::journal& steps) { made = host_.make_snapshot(r, name, steps); });
  model::event ev;
  ev.type = "snapshot.made";
  ev.jail = jail;
  ev.data = {{"snapshot", name}, {"backend", made.backend}};
  emit(ev);
  return made;
}

void engine::rollback_snapshot(const std::string& jail, const std::string& name, bool restart) {
  check_name(name);
  const auto probe = made_root(jail, "", true);
  bool found = false;
  for (const auto& s : host_.list_snapshots(probe)) found = found || s.name == name;
  if (!found)
    throw error(errc::snapshot_not_found,
                fmt::format("jail '{}' has no snapshot named '{}'", jail, name));
  bool stopped_here = false;
  {
    guard lock(runtime_mutex_);
    auto rt = runtime_of(jail);
    const bool down = is_down(rt->state) && !rt->handle;
    if (!down && !restart)
      throw error(errc::jail_running,
                  fmt::format("jail '{}' is {}; stop it first, or ask for ?restart=true", jail,
                              model::jail_state_name(rt->state)));
    stopped_here = !down;
  }
  if (stopped_here) {
    stop_options_api o;
    o.reason = "rollback to snapshot '" + name + "'";
    auto op = stop(jail, o);
    op->wait();
    if (op->state() != op_state::succeeded)
      throw error(op->error_code(), fmt::format("jail '{}' did not stop for the rollback: {}",
                                                jail, op->error()));
  }
  // Started again whatever the rollback did, when it was running before.
  auto start_again = [&] {
    if (!stopped_here) return;
    start_options o;
    o.reason = "after the rollback to snapshot '" + name + "'";
    auto op = start(jail, o);
    op->wait();
    if (op->state() != op_state::succeeded)
      throw error(op->error_code(),
                  fmt::format("jail '{}' was rolled back to '{}' but did not start again: {}",
                              jail, name, op->error()));
  };
  try {
    auto r = made_root(jail, "being rolled back to a snapshot", false);
    deferred unhold([&] { release_hold(jail); });
    run_provision(jail, fmt::format("rollback to snapshot '{}'", name),
                  [&](host::journal& steps) { host_.rollback_snapshot(r, name, steps); });
  } catch (...) {
    try {
      start_again();
    } catch (const std::exception& e) {
      spdlog::error("jail {}: {}", jail, e.what());
    }
    throw;
  }
  model::event ev;
  ev.type = "snapshot.rolled_back";
  ev.jail = jail;
  ev.data = {{"snapshot", name}};
  emit(ev);
  start_again();
}

void engine::delete_snapshot(const std::string& jail, const std::string& name) {
  check_name(name);
  auto r = made_root(jail, "removing a snapshot", true);
  deferred unhold([&] { release_hold(jail); });
  run_provision(jail, fmt::format("remove snapshot '{}'", name),
                [&](host::journal& steps) { host_.remove_snapshot(r, name, steps); });
  model::event ev;
  ev.type = "snapshot.removed";
  ev.jail = jail;
  ev.data = {{"snapshot", name}};
  emit(ev);
}

}  // namespace jaild::engine
